import { createContext, useContext } from 'react';
import type { ReactNode } from 'react';

import { en } from './messages';
import type { Messages } from './messages';

export type { Messages } from './messages';
export { en } from './messages';

export type Locale = 'en' | 'zh-CN';

/**
 * The first of the browser's preferred languages that we have, else English.
 * Every `zh` variant gets Simplified Chinese: it is the only Chinese we ship,
 * and a Traditional reader understands it better than English on average.
 */
export function pickLocale(languages: readonly string[]): Locale {
  for (const tag of languages) {
    const lower = tag.toLowerCase();
    if (lower === 'zh' || lower.startsWith('zh-')) return 'zh-CN';
    if (lower === 'en' || lower.startsWith('en-')) return 'en';
  }
  return 'en';
}

/** The locale for this browser, from `navigator.languages` (or `language`). */
export function browserLocale(
  nav: Pick<Navigator, 'language' | 'languages'> | undefined = typeof navigator === 'undefined'
    ? undefined
    : navigator,
): Locale {
  if (!nav) return 'en';
  const list = nav.languages.length > 0 ? nav.languages : [nav.language];
  return pickLocale(list);
}

/** The strings of a locale. Chinese is a separate chunk, fetched only for those who read it. */
export async function loadMessages(locale: Locale): Promise<Messages> {
  if (locale === 'zh-CN') return (await import('./zh-CN')).zhCN;
  return en;
}

export interface I18n {
  locale: Locale;
  t: Messages;
}

const I18nContext = createContext<I18n>({ locale: 'en', t: en });

/** Provides one locale's strings; render it with the value `loadMessages` gave. */
export function I18nProvider({ value, children }: { value: I18n; children: ReactNode }) {
  return <I18nContext value={value}>{children}</I18nContext>;
}

/** The strings and locale of the nearest `I18nProvider` (English without one). */
export function useI18n(): I18n {
  return useContext(I18nContext);
}
