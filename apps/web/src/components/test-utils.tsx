import { render } from '@testing-library/react';
import type { RenderOptions, RenderResult } from '@testing-library/react';
import type { ReactElement } from 'react';
import { vi } from 'vitest';

import { en, I18nProvider } from '../i18n';
import type { I18n, Locale } from '../i18n';
import { zhCN } from '../i18n/zh-CN';
import type { MessageView } from '../state/selectors';

/** Renders under an `I18nProvider` (English unless told). */
export function renderWithLocale(
  ui: ReactElement,
  locale: Locale = 'en',
  options?: RenderOptions,
): RenderResult {
  const value: I18n = { locale, t: locale === 'zh-CN' ? zhCN : en };
  return render(ui, {
    wrapper: ({ children }) => <I18nProvider value={value}>{children}</I18nProvider>,
    ...options,
  });
}

export const alice = { id: 'u_alice', name: 'alice' };
export const bob = { id: 'u_bob', name: 'bob' };

let n = 0;
/** One row of a timeline as the selectors build it, with alice signed in. */
export function entry(partial: Partial<MessageView> & { text: string }): MessageView {
  n++;
  const from = partial.from ?? bob;
  const id = partial.id ?? `m${n}`;
  const status = partial.status ?? 'sent';
  return {
    key: `${from.id}/${id}`,
    id,
    room: 'general',
    seq: status === 'sent' ? n : null,
    from,
    ts: Date.UTC(2025, 0, 15, 12, 0) + n * 1000,
    own: from.id === alice.id,
    status,
    deleted: false,
    reactions: [],
    ...partial,
  };
}

/**
 * jsdom has no layout: every size is 0 and nothing scrolls, so a virtual list
 * would show nothing. This gives the message list's scroller a viewport, a
 * scroll height (its spacer's) and a clamped scroll position that fires
 * `scroll` like a browser, and each row a height: all the virtualizer reads.
 * Returns the undo.
 */
export function mockListLayout({ viewport = 600, row = 48 }: { viewport?: number; row?: number } = {}) {
  const isLog = (el: Element) => el.classList.contains('log');
  const tops = new WeakMap<Element, number>();
  const scrollHeightOf = (el: Element) => {
    const inner = el.firstElementChild;
    return inner instanceof HTMLElement ? Math.max(parseFloat(inner.style.height) || 0, viewport) : viewport;
  };
  const setTop = (el: Element, value: number) => {
    const top = Math.max(0, Math.min(value, scrollHeightOf(el) - viewport));
    if (top === (tops.get(el) ?? 0)) return;
    tops.set(el, top);
    queueMicrotask(() => el.dispatchEvent(new Event('scroll')));
  };
  const spies = [
    vi.spyOn(Element.prototype, 'clientHeight', 'get').mockImplementation(function (this: Element) {
      return isLog(this) ? viewport : 0;
    }),
    vi.spyOn(Element.prototype, 'clientWidth', 'get').mockImplementation(function (this: Element) {
      return isLog(this) ? 800 : 0;
    }),
    vi.spyOn(Element.prototype, 'scrollHeight', 'get').mockImplementation(function (this: Element) {
      return isLog(this) ? scrollHeightOf(this) : 0;
    }),
    vi.spyOn(Element.prototype, 'scrollTop', 'get').mockImplementation(function (this: Element) {
      return tops.get(this) ?? 0;
    }),
    vi.spyOn(Element.prototype, 'scrollTop', 'set').mockImplementation(function (this: Element, v: number) {
      setTop(this, v);
    }),
    vi.spyOn(HTMLElement.prototype, 'offsetHeight', 'get').mockImplementation(function (this: HTMLElement) {
      return this.classList.contains('row') ? row : 0;
    }),
  ];
  const originalScrollTo = Object.getOwnPropertyDescriptor(Element.prototype, 'scrollTo');
  Object.defineProperty(Element.prototype, 'scrollTo', {
    configurable: true,
    writable: true,
    value: function scrollTo(this: Element, a?: ScrollToOptions | number, b?: number) {
      const top = typeof a === 'number' ? b : a?.top;
      if (top !== undefined) setTop(this, top);
    },
  });
  return () => {
    for (const spy of spies) spy.mockRestore();
    if (originalScrollTo) Object.defineProperty(Element.prototype, 'scrollTo', originalScrollTo);
  };
}
