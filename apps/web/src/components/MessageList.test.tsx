import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { MessageList } from './MessageList';
import type { MessageListProps } from './MessageList';
import { alice, bob, entry, mockListLayout, renderWithLocale } from './test-utils';

function renderList(props: Partial<MessageListProps>) {
  const all: MessageListProps = {
    room: 'general',
    entries: [],
    hasMore: false,
    loadingOlder: false,
    onLoadOlder: vi.fn(),
    onRetry: vi.fn(),
    onDiscard: vi.fn(),
    ...props,
  };
  return { ...renderWithLocale(<MessageList {...all} />), props: all };
}

const rowsOf = (log: HTMLElement) => log.querySelectorAll('.msg');

describe('MessageList', () => {
  let restoreLayout: () => void;
  beforeEach(() => {
    restoreLayout = mockListLayout();
  });
  afterEach(() => {
    restoreLayout();
  });

  it('is a log named Messages showing each author and text', () => {
    renderList({ entries: [entry({ text: 'hi all', from: bob }), entry({ text: 'hey bob', from: alice })] });
    const log = screen.getByRole('log', { name: 'Messages' });
    expect(within(log).getByText('hi all')).toBeInTheDocument();
    expect(within(log).getByText('hey bob')).toBeInTheDocument();
    expect(within(log).getByText('bob')).toBeInTheDocument();
    expect(within(log).getByText('alice')).toBeInTheDocument();
  });

  it('sets my own messages apart', () => {
    renderList({ entries: [entry({ text: 'theirs', from: bob }), entry({ text: 'mine', from: alice })] });
    const [theirs, mine] = Array.from(rowsOf(screen.getByRole('log')));
    expect(theirs).not.toHaveAttribute('data-own');
    expect(mine).toHaveAttribute('data-own');
  });

  it('groups consecutive messages by one author under one header', () => {
    renderList({
      entries: [
        entry({ text: 'one', from: bob }),
        entry({ text: 'two', from: bob }),
        entry({ text: 'three', from: alice }),
      ],
    });
    const rows = Array.from(rowsOf(screen.getByRole('log')));
    expect(rows.map((r) => r.hasAttribute('data-first'))).toEqual([true, false, true]);
    // The grouped one still names its author for screen readers.
    expect(within(rows[1] as HTMLElement).getByText('bob')).toHaveClass('sr-only');
  });

  it('starts a new group after a pause and shows a time on each header', () => {
    const t0 = Date.UTC(2025, 0, 15, 12, 0);
    renderList({
      entries: [
        entry({ text: 'one', from: bob, ts: t0 }),
        entry({ text: 'later', from: bob, ts: t0 + 10 * 60_000 }),
      ],
    });
    const rows = Array.from(rowsOf(screen.getByRole('log')));
    expect(rows.map((r) => r.hasAttribute('data-first'))).toEqual([true, true]);
    expect(rows[0]?.querySelector('.msg-meta time')).toHaveAttribute('datetime', new Date(t0).toISOString());
  });

  it('shows Sending… for a message in the outbox', () => {
    renderList({ entries: [entry({ text: 'on its way', from: alice, status: 'sending' })] });
    expect(screen.getByText('Sending…')).toBeInTheDocument();
  });

  it('shows Not sent with Retry and Delete for a failed message', async () => {
    const { props } = renderList({
      entries: [entry({ id: 'c_9', text: 'oops', from: alice, status: 'failed', error: 'rate_limited' })],
    });
    expect(screen.getByText(/Not sent/)).toHaveTextContent('Not sent · you are sending too fast');
    await userEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(props.onRetry).toHaveBeenCalledWith('c_9');
    await userEvent.click(screen.getByRole('button', { name: 'Delete' }));
    expect(props.onDiscard).toHaveBeenCalledWith('c_9');
  });

  it('makes http and https links clickable, safely, and nothing else', () => {
    renderList({
      entries: [
        entry({ text: 'see https://example.com/a?b=1, or http://x.org.' }),
        entry({ text: 'javascript:alert(1) and data:text/html,hi and ftp://x.org' }),
      ],
    });
    const links = screen.getAllByRole('link');
    expect(links.map((a) => a.getAttribute('href'))).toEqual(['https://example.com/a?b=1', 'http://x.org/']);
    for (const a of links) {
      expect(a).toHaveAttribute('rel', 'noopener noreferrer');
      expect(a).toHaveAttribute('target', '_blank');
    }
    expect(screen.getByText('javascript:alert(1) and data:text/html,hi and ftp://x.org')).toBeInTheDocument();
  });

  it('shows a look-alike host as punycode and a link in isolation, read in the order it goes', () => {
    renderList({ entries: [entry({ text: 'log in at https://аpple.com/\u202Efdp.exe now' })] });
    const link = screen.getByRole('link');
    expect(link).toHaveTextContent(/^https:\/\/xn--pple-43d\.com\/fdp\.exe$/);
    expect(link).toHaveAttribute('href', 'https://xn--pple-43d.com/%E2%80%AEfdp.exe');
    expect(link).toHaveAttribute('dir', 'ltr');
    expect(link).toHaveAttribute('title', 'https://xn--pple-43d.com/%E2%80%AEfdp.exe');
  });

  it('draws an author name without bidi overrides, isolated from the text around it', () => {
    renderList({ entries: [entry({ text: 'hi', from: { id: 'u_x', name: '\u202Eecila' } })] });
    const author = screen.getByText('ecila', { selector: '.msg-author' });
    expect(author.tagName).toBe('BDI');
  });

  it('renders markup as text', () => {
    const html = '<script>alert("x")</script><img src=x onerror=alert(1)><b>bold</b>';
    renderList({ entries: [entry({ text: html })] });
    const log = screen.getByRole('log');
    expect(within(log).getByText(html)).toBeInTheDocument();
    expect(log.querySelector('script, img, b')).toBeNull();
  });

  it('keeps line breaks of multi-line text', () => {
    renderList({ entries: [entry({ text: 'line one\nline two' })] });
    expect(screen.getByText(/line one/).textContent).toBe('line one\nline two');
  });

  it('offers older messages while there are some', async () => {
    const many = Array.from({ length: 40 }, (_, i) => entry({ text: `m${i}` }));
    const { props } = renderList({ entries: many, hasMore: true });
    await userEvent.click(screen.getByRole('button', { name: 'Load older messages' }));
    expect(props.onLoadOlder).toHaveBeenCalledTimes(1);
  });

  it('asks for older messages at once when the ones it has do not fill the view', () => {
    const { props } = renderList({ entries: [entry({ text: 'x' })], hasMore: true });
    expect(props.onLoadOlder).toHaveBeenCalledTimes(1);
  });

  it('opens at the newest message when the first messages arrive after it mounted', async () => {
    const { rerender, props } = renderList({ entries: [] });
    const many = Array.from({ length: 100 }, (_, i) => entry({ text: `late ${i}` }));
    rerender(<MessageList {...props} entries={many} />);
    const log = screen.getByRole('log');
    // The jump to the newest message happens in an effect after layout: wait for it (bounded).
    await waitFor(() => {
      expect(log.scrollHeight - log.scrollTop - log.clientHeight).toBeLessThanOrEqual(48);
      expect(within(log).getByText('late 99')).toBeInTheDocument();
    });
  });

  it('shows an empty room’s empty state in the view, not below the list’s rows', () => {
    renderList({ entries: [] });
    const empty = screen.getByText('No messages yet. Say hello!');
    expect(empty.closest('.log-inner')).toBeNull();
    expect(empty.parentElement).toBe(screen.getByRole('log'));
  });

  it('does not repeat my own name over my groups (screen readers still hear it)', () => {
    renderList({ entries: [entry({ text: 'mine', from: alice }), entry({ text: 'theirs', from: bob })] });
    expect(screen.queryByText('alice', { selector: '.msg-author' })).toBeNull();
    expect(screen.getByText('alice', { selector: '.sr-only' })).toBeInTheDocument();
    expect(screen.getByText('bob', { selector: '.msg-author' })).toBeInTheDocument();
  });

  it('marks a pending message beside its bubble, out of the flow: its row keeps its height when acked', () => {
    renderList({ entries: [entry({ text: 'on its way', from: alice, status: 'sending' })] });
    const sending = screen.getByText('Sending…');
    expect(sending.closest('.msg-pending')).not.toBeNull();
    expect(document.querySelector('.msg-status')).toBeNull();
  });

  it('says when a room has no older messages, or none at all', () => {
    const { unmount } = renderList({ entries: [entry({ text: 'x' })] });
    expect(screen.getByText('This is the beginning of #general.')).toBeInTheDocument();
    unmount();
    renderList({ entries: [] });
    expect(screen.getByText('No messages yet. Say hello!')).toBeInTheDocument();
  });

  it('keeps only a window of 10,000 messages in the DOM', () => {
    const many = Array.from({ length: 10_000 }, (_, i) =>
      entry({ text: `message ${i}`, from: i % 3 === 0 ? alice : bob }),
    );
    renderList({ entries: many });
    const rows = rowsOf(screen.getByRole('log')).length;
    expect(rows).toBeGreaterThan(0);
    expect(rows).toBeLessThan(100);
    expect(document.querySelectorAll('*').length).toBeLessThan(1500);
  });

  describe('scrolling', () => {
    const history = (n: number) =>
      Array.from({ length: n }, (_, i) => entry({ id: `h${i}`, text: `history ${i}`, from: bob }));
    // The virtualizer settles a scroll over animation frames, each one asking
    // for the next. Wait for a number of frames, not a time: on a busy machine
    // a late timer can fire after only one frame ran.
    const FRAMES = 6;
    const settle = () =>
      act(async () => {
        for (let i = 0; i < FRAMES; i++)
          await new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));
      });
    const scrollTo = async (log: HTMLElement, top: number) => {
      log.scrollTop = top;
      fireEvent.scroll(log);
      await settle();
    };
    const atBottom = (log: HTMLElement) => log.scrollHeight - log.scrollTop - log.clientHeight <= 48;
    /** Renders 100 messages of history (`first`) and lets the list settle. */
    const renderHistory = async (props: Partial<MessageListProps> = {}) => {
      const first = history(100);
      const rendered = renderList({ entries: first, ...props });
      await settle();
      return { ...rendered, first, log: screen.getByRole('log') };
    };

    it('opens at the newest message and follows new ones there', async () => {
      const { first, rerender, props, log } = await renderHistory();
      expect(atBottom(log)).toBe(true);
      expect(within(log).getByText('history 99')).toBeInTheDocument();

      rerender(<MessageList {...props} entries={[...first, entry({ text: 'fresh', from: bob })]} />);
      await settle();
      expect(atBottom(log)).toBe(true);
      expect(within(log).getByText('fresh')).toBeInTheDocument();
      expect(screen.queryByRole('button', { name: /new message/ })).not.toBeInTheDocument();
    });

    it('stays put when scrolled up, and counts new messages on a pill', async () => {
      const { first, rerender, props, log } = await renderHistory();
      await scrollTo(log, 1000);
      expect(screen.getByRole('button', { name: 'Jump to latest' })).toBeInTheDocument();

      const more = [...first, entry({ text: 'one', from: bob }), entry({ text: 'two', from: bob })];
      rerender(<MessageList {...props} entries={more} />);
      await settle();
      expect(log.scrollTop).toBe(1000);
      const pill = screen.getByRole('button', { name: '2 new messages' });

      act(() => {
        pill.click();
      });
      await settle();
      expect(atBottom(log)).toBe(true);
      expect(screen.queryByRole('button', { name: /new messages/ })).not.toBeInTheDocument();
    });

    it('brings me down to a message I just sent, even when scrolled up', async () => {
      const { first, rerender, props, log } = await renderHistory();
      await scrollTo(log, 500);
      rerender(
        <MessageList
          {...props}
          entries={[...first, entry({ text: 'mine', from: alice, status: 'sending' })]}
        />,
      );
      await settle();
      expect(atBottom(log)).toBe(true);
    });

    it('asks for older messages near the top, once per page', async () => {
      const { props, log } = await renderHistory({ hasMore: true });
      await scrollTo(log, 100);
      await scrollTo(log, 50);
      expect(props.onLoadOlder).toHaveBeenCalledTimes(1);
    });

    it('keeps what I am reading in place when older messages arrive above it', async () => {
      const { first, rerender, props, log } = await renderHistory({ hasMore: true });
      await scrollTo(log, 200);
      const rowTop = (text: string) => {
        const row = within(log).getByText(text).closest('.row') as HTMLElement;
        return Number(/translateY\((\d+)px\)/.exec(row.style.transform)?.[1]) - log.scrollTop;
      };
      const before = rowTop('history 5');
      const older = Array.from({ length: 50 }, (_, i) =>
        entry({ id: `o${i}`, text: `older ${i}`, from: alice }),
      );
      rerender(<MessageList {...props} entries={[...older, ...first]} loadingOlder={false} />);
      await settle();
      expect(log.scrollTop).toBeGreaterThan(200 + 50 * 30);
      expect(rowTop('history 5')).toBe(before);
    });

    describe('reading position', () => {
      const rowTop = (log: HTMLElement, text: string) => {
        const row = within(log).getByText(text).closest('.row') as HTMLElement;
        return Number(/translateY\((\d+)px\)/.exec(row.style.transform)?.[1]) - log.scrollTop;
      };

      it('reports the first message wholly in view as I scroll, and the bottom', async () => {
        const onPosition = vi.fn();
        const { first, log } = await renderHistory({ onPosition });
        // Rows are 48 px from 64 px down: history 20 starts at 1024.
        await scrollTo(log, 1000);
        expect(onPosition).toHaveBeenLastCalledWith({ kind: 'at', seq: first[20]?.seq, offset: 24 });
        await scrollTo(log, log.scrollHeight);
        expect(onPosition).toHaveBeenLastCalledWith({ kind: 'bottom' });
      });

      it('opens where the room was read, with new messages counted on the pill', async () => {
        const first = history(100);
        const seq = first[30]?.seq ?? 0;
        const onPosition = vi.fn();
        const { rerender, props } = renderList({
          entries: first,
          position: { kind: 'at', seq, offset: 10 },
          onPosition,
        });
        await settle();
        const log = screen.getByRole('log');
        expect(rowTop(log, 'history 30')).toBe(10);
        // Positions passed through on the way are not reported as where I read.
        expect(onPosition).not.toHaveBeenCalled();

        rerender(<MessageList {...props} entries={[...first, entry({ text: 'since', from: bob })]} />);
        await settle();
        expect(rowTop(log, 'history 30')).toBe(10);
        expect(screen.getByRole('button', { name: '1 new message' })).toBeInTheDocument();
      });

      it('opens at the closest message held when that one is gone, and at the bottom when it was there', async () => {
        const first = history(100);
        const oldest = first[0]?.seq ?? 0;
        const { unmount } = renderList({
          entries: first,
          position: { kind: 'at', seq: oldest - 500, offset: 64 },
        });
        await settle();
        expect(screen.getByRole('log').scrollTop).toBe(0);
        unmount();

        renderList({ entries: first, position: { kind: 'bottom' } });
        await settle();
        expect(atBottom(screen.getByRole('log'))).toBe(true);
      });
    });
  });
});
