import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';

import { useI18n } from '../i18n';
import type { MessageView } from '../state/selectors';
import type { ReadingPosition } from '../state/types';
import { formatDay, sameDay } from './format';
import { ArrowDownIcon } from './icons';
import { loadMarkdown } from './markdown/loader';
import { MessageHandlersContext, NO_HANDLERS } from './message/context';
import { preloadMessageTools } from './message/tools';
import type { MessageHandlers } from './message/context';
import { MessageRow } from './message/MessageRow';
import { positionInView, rowsInView, useRestoreReading } from './readingPosition';

/** What the conversation does for a message's actions (the list adds retry, discard and jumping to a message). */
export type MessageActionHandlers = Omit<MessageHandlers, 'jumpTo' | 'retry' | 'discard'>;

export interface MessageListProps {
  room: string;
  /** The room's timeline as the selectors build it (`useMessages`): own-ness and status decided there. */
  entries: readonly MessageView[];
  hasMore: boolean;
  loadingOlder: boolean;
  onLoadOlder: () => void;
  onRetry: (id: string) => void;
  onDiscard: (id: string) => void;
  /** For "Today" and "Yesterday". @default Date.now() at mount */
  now?: number;
  /** Where the room was last read, restored at mount. @default null (the newest message) */
  position?: ReadingPosition | null;
  /** Told where the room is read as the person scrolls (the first message wholly in view, or the bottom). */
  onPosition?: (position: ReadingPosition) => void;
  /** Reply, edit, delete, react; stable (a new object re-renders every row). @default none: no actions */
  actions?: MessageActionHandlers;
  /** The seq of the message being edited in place. @default null */
  editing?: number | null;
}

/** How long a message jumped to from a reply stays highlighted. */
const HIGHLIGHT_MS = 2000;

/** Messages by one author closer together than this share one header. */
const GROUP_MS = 5 * 60_000;
/** Height reserved above the first row for "Load older" or the room's beginning. */
const TOP_PX = 64;
/** Closer than this to the end counts as "at the bottom". */
const END_PX = 48;
/** Closer than this to the top asks for older messages. */
const OLDER_PX = 600;

interface RowLayout {
  showHeader: boolean;
  day: number | null;
}

function layoutOf(entries: readonly MessageView[], i: number): RowLayout {
  const e = entries[i];
  const prev = i > 0 ? entries[i - 1] : undefined;
  if (!e) return { showHeader: true, day: null };
  if (!prev) return { showHeader: true, day: e.ts };
  const newDay = !sameDay(prev.ts, e.ts);
  const showHeader = newDay || prev.from.id !== e.from.id || e.ts - prev.ts > GROUP_MS;
  return { showHeader, day: newDay ? e.ts : null };
}

/**
 * The conversation of one room, virtualised: only the rows near the viewport
 * exist in the DOM (10 000 messages keep a few dozen rows), each measured as
 * it renders. It stays pinned to the newest message unless the person
 * scrolled up; then new messages raise a pill instead of moving the view.
 * Older pages load near the top and do not move what is on screen.
 * Remount per room (`key={room}`).
 */
export function MessageList({
  room,
  entries,
  hasMore,
  loadingOlder,
  onLoadOlder,
  onRetry,
  onDiscard,
  now: nowProp,
  position = null,
  onPosition,
  actions,
  editing = null,
}: MessageListProps) {
  const { t, locale } = useI18n();
  const scrollRef = useRef<HTMLDivElement>(null);
  const [today] = useState(() => nowProp ?? Date.now());
  const now = nowProp ?? today;
  // Read once: later positions are the ones this list reports itself.
  const [restoreTo] = useState(() => (position?.kind === 'at' ? position : null));
  // Whether the person is at the bottom, from scroll events only: content
  // growing never makes them "scrolled up".
  const [pinned, setPinned] = useState(restoreTo === null);
  // The newest entry they had seen when they scrolled away from the bottom
  // (reopened mid-room: the newest held then, so what arrives since counts).
  const [seenKey, setSeenKey] = useState<string | null>(() =>
    restoreTo === null ? null : (entries.at(-1)?.key ?? null),
  );
  const olderAskedAt = useRef<string | null>(null);
  // `pinned` for callbacks outside render.
  const pinnedRef = useRef(restoreTo === null);

  // eslint-disable-next-line react-hooks/incompatible-library -- the virtualizer is read during render by design; this component is not memoised by the compiler.
  const virtualizer = useVirtualizer({
    count: entries.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: (i) => (layoutOf(entries, i).showHeader ? 64 : 32),
    getItemKey: (i) => entries[i]?.key ?? i,
    overscan: 8,
    paddingStart: TOP_PX,
    paddingEnd: 12,
    // Chat semantics: prepending older pages keeps the reader's row in place,
    // and appending follows the end only when already there.
    anchorTo: 'end',
    followOnAppend: true,
    scrollEndThreshold: END_PX,
  });

  // Open at the newest message: on mount, and when a room's first messages
  // arrive after it (joining a room mounts the list before `joined` answers);
  // or where the room was being read.
  const empty = entries.length === 0;
  useLayoutEffect(() => {
    if (!empty && restoreTo === null) virtualizer.scrollToEnd();
  }, [empty, virtualizer, restoreTo]);
  const restoring = useRestoreReading({ virtualizer, scrollRef, entries, target: restoreTo });

  // The viewport shrinks when the connection banner appears or the composer
  // grows a line; whoever was at the bottom stays there.
  useEffect(() => {
    const el = scrollRef.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(() => {
      if (pinnedRef.current) virtualizer.scrollToEnd();
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [virtualizer]);

  // Something I just wrote always brings me down to it.
  const last = entries.at(-1);
  const lastIsMineNew = last !== undefined && last.own && last.status === 'sending';
  const lastKey = last?.key;
  useEffect(() => {
    if (lastIsMineNew) virtualizer.scrollToEnd();
  }, [lastKey, lastIsMineNew, virtualizer]);

  const firstKey = entries[0]?.key ?? null;

  // A page too short to scroll never scrolls near its top: ask for older
  // messages until the view is filled (or the room's beginning is reached).
  const total = virtualizer.getTotalSize();
  useEffect(() => {
    const el = scrollRef.current;
    if (!el || !hasMore || loadingOlder || olderAskedAt.current === firstKey) return;
    if (el.scrollHeight > el.clientHeight) return;
    olderAskedAt.current = firstKey;
    onLoadOlder();
  }, [total, hasMore, loadingOlder, firstKey, onLoadOlder]);

  const onScroll = () => {
    const el = scrollRef.current;
    if (!el) return;
    const atEnd = el.scrollHeight - el.scrollTop - el.clientHeight <= END_PX;
    pinnedRef.current = atEnd;
    if (atEnd !== pinned) {
      setPinned(atEnd);
      setSeenKey(atEnd ? null : (lastKey ?? null));
    }
    if (onPosition && !restoring.current) {
      const at = atEnd
        ? null
        : positionInView(
            rowsInView(virtualizer, el.scrollTop, el.clientHeight),
            entries,
            el.scrollTop,
            el.clientHeight,
          );
      onPosition(at ?? { kind: 'bottom' });
    }
    if (el.scrollTop < OLDER_PX && hasMore && !loadingOlder && olderAskedAt.current !== firstKey) {
      olderAskedAt.current = firstKey;
      onLoadOlder();
    }
  };

  let unseen = 0;
  if (!pinned && seenKey !== null) {
    for (let i = entries.length - 1; i >= 0 && entries[i]?.key !== seenKey; i--) unseen++;
    if (unseen === entries.length) unseen = 0; // the seen entry is gone (discarded)
  }

  const jumpToEnd = () => {
    virtualizer.scrollToEnd();
    scrollRef.current?.focus({ preventScroll: true });
  };

  // The Markdown parser is a chunk of its own: fetched once a room shows.
  useEffect(() => {
    void loadMarkdown();
  }, []);
  // What the actions open, ahead of the first click.
  const changes = actions?.changes === true;
  useEffect(() => {
    if (changes) preloadMessageTools();
  }, [changes]);

  // A reply's quote scrolls to what it answers, when that is loaded, and
  // draws it out for a moment.
  const [highlight, setHighlight] = useState<number | null>(null);
  const entriesRef = useRef(entries);
  useEffect(() => {
    entriesRef.current = entries;
  }, [entries]);
  useEffect(() => {
    if (highlight === null) return;
    const timer = setTimeout(() => setHighlight(null), HIGHLIGHT_MS);
    return () => clearTimeout(timer);
  }, [highlight]);
  const jumpTo = useCallback(
    (seq: number) => {
      const index = entriesRef.current.findIndex((e) => e.seq === seq);
      if (index === -1) return false;
      virtualizer.scrollToIndex(index, { align: 'center' });
      setHighlight(seq);
      return true;
    },
    [virtualizer],
  );
  const handlers = useMemo<MessageHandlers>(
    () => ({ ...(actions ?? NO_HANDLERS), jumpTo, retry: onRetry, discard: onDiscard }),
    [actions, jumpTo, onRetry, onDiscard],
  );

  const items = virtualizer.getVirtualItems();

  return (
    <MessageHandlersContext value={handlers}>
      <div className="log-wrap">
        <div
          ref={scrollRef}
          className="log"
          role="log"
          aria-label={t.messages}
          tabIndex={0}
          onScroll={onScroll}
        >
          {/* Outside the list's spacer, which is only as tall as its rows: inside,
            it was drawn below the view. */}
          {entries.length === 0 && !hasMore && <p className="log-empty">{t.empty}</p>}
          <div className="log-inner" style={{ height: virtualizer.getTotalSize() }}>
            <div className="log-top">
              {hasMore ? (
                <button
                  type="button"
                  className="button button-ghost"
                  onClick={() => {
                    olderAskedAt.current = firstKey;
                    onLoadOlder();
                  }}
                  disabled={loadingOlder}
                >
                  {loadingOlder && <span className="spinner" aria-hidden="true" />}
                  {loadingOlder ? t.loadingOlder : t.loadOlder}
                </button>
              ) : entries.length > 0 ? (
                <p className="log-beginning">{t.beginning(room)}</p>
              ) : null}
            </div>
            {items.map((item) => {
              const entry = entries[item.index];
              if (!entry) return null;
              const { showHeader, day } = layoutOf(entries, item.index);
              return (
                <div
                  key={item.key}
                  ref={virtualizer.measureElement}
                  data-index={item.index}
                  className="row"
                  style={{ transform: `translateY(${item.start}px)` }}
                >
                  <MessageRow
                    entry={entry}
                    showHeader={showHeader}
                    dayLabel={day === null ? null : formatDay(day, now, locale, t)}
                    locale={locale}
                    t={t}
                    editing={entry.seq !== null && entry.seq === editing}
                    highlighted={entry.seq !== null && entry.seq === highlight}
                  />
                </div>
              );
            })}
          </div>
        </div>
        {!pinned && (
          <button type="button" className="jump-pill" onClick={jumpToEnd} data-new={unseen > 0 || undefined}>
            {unseen > 0 ? t.newMessages(unseen) : t.jumpToLatest}
            <ArrowDownIcon />
          </button>
        )}
      </div>
    </MessageHandlersContext>
  );
}
