/**
 * The message list's reading position: which message is at the top of the
 * view, so that a reload (or coming back to the room) opens the room there.
 * The list reports it as the person scrolls; the store keeps it and
 * persistence writes it with the rooms.
 */
import type { Virtualizer } from '@tanstack/react-virtual';
import { useEffect, useLayoutEffect, useRef } from 'react';
import type { RefObject } from 'react';

import type { MessageView } from '../state/selectors';
import type { ReadingPosition } from '../state/types';

/** Where a virtual row sits in the list (the virtualizer's own item). */
export interface RowBox {
  index: number;
  start: number;
  end: number;
}

/**
 * The position a view shows: the first row whose top is in the view (its
 * top `offset` px below the view's), among rows of stored messages (an
 * unsent one has no seq to come back to). A row taller than the view leaves
 * none wholly in view: then the one across its top, with a negative offset.
 */
export function positionInView(
  rows: readonly RowBox[],
  entries: readonly MessageView[],
  top: number,
  height: number,
): ReadingPosition | null {
  let across: { seq: number; start: number } | null = null;
  for (const row of rows) {
    const seq = entries[row.index]?.seq;
    if (seq === null || seq === undefined) continue;
    if (row.start >= top - 0.5) {
      if (row.start <= top + height) return { kind: 'at', seq, offset: Math.round(row.start - top) };
      break;
    }
    if (row.end > top) across = { seq, start: row.start };
  }
  return across ? { kind: 'at', seq: across.seq, offset: Math.round(across.start - top) } : null;
}

/**
 * The rows across a view from `top`, `height` tall, as measured now. Not
 * `getVirtualItems()`: in a scroll event that is still the range of the last
 * render, which a fast scroll has left behind.
 */
export function rowsInView(
  virtualizer: Virtualizer<HTMLDivElement, Element>,
  top: number,
  height: number,
): RowBox[] {
  // It refreshes `measurementsCache`, which is read next.
  const first = virtualizer.getVirtualItemForOffset(top);
  if (!first) return [];
  const rows: RowBox[] = [];
  const all = virtualizer.measurementsCache;
  for (let i = first.index; i < all.length; i++) {
    const row = all[i];
    if (!row) break;
    rows.push(row);
    if (row.start > top + height) break;
  }
  return rows;
}

/**
 * The index of the message with `seq`, or of the held message closest to it
 * (a page that was trimmed, or not fetched again); -1 when none has a seq.
 */
export function closestIndex(entries: readonly MessageView[], seq: number): number {
  let best = -1;
  let distance = Infinity;
  for (let i = 0; i < entries.length; i++) {
    const held = entries[i]?.seq;
    if (held === null || held === undefined) continue;
    const d = Math.abs(held - seq);
    if (d < distance) {
      best = i;
      distance = d;
      if (d === 0) break;
    }
  }
  return best;
}

/** Frames the restored position must hold, measured, before the list reports positions again. */
const STABLE_FRAMES = 3;
/** Rows measured late can keep moving the target; give up adjusting after this many frames. */
const MAX_FRAMES = 90;

export interface RestoreOptions {
  virtualizer: Virtualizer<HTMLDivElement, Element>;
  scrollRef: RefObject<HTMLDivElement | null>;
  entries: readonly MessageView[];
  /** The position to open at; null opens at the newest message (the list does that itself). */
  target: Extract<ReadingPosition, { kind: 'at' }> | null;
}

/**
 * Scrolls to `target` once the list has messages, and returns a ref that is
 * true while it does, so the list does not report the positions it passes
 * through. Row heights are estimates until a row renders and is measured,
 * so one jump can land a few rows off: this aims at the row, then corrects
 * frame by frame from the measured row until it holds still. A wheel,
 * touch, key or pointer on the list gives the scroll back to the person.
 */
export function useRestoreReading({ virtualizer, scrollRef, entries, target }: RestoreOptions) {
  const restoring = useRef(target !== null);
  const entriesRef = useRef(entries);
  useEffect(() => {
    entriesRef.current = entries;
  }, [entries]);

  const empty = entries.length === 0;
  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!restoring.current || target === null || empty || !el) return;
    let frames = 0;
    let stable = 0;
    let raf = 0;
    // `stop` alone on cleanup: StrictMode runs the effect twice, and the
    // second run must still restore.
    const stop = () => {
      cancelAnimationFrame(raf);
      for (const type of GESTURES) el.removeEventListener(type, finish);
    };
    function finish() {
      restoring.current = false;
      stop();
    }
    for (const type of GESTURES) el.addEventListener(type, finish, { passive: true });

    const step = () => {
      // By seq each frame: an older page arriving meanwhile shifts every index.
      const index = closestIndex(entriesRef.current, target.seq);
      if (index < 0) {
        finish();
        return;
      }
      const row = virtualizer.getVirtualItems().find((item) => item.index === index);
      if (!row) {
        // Not rendered yet, so not measured: go near it first.
        stable = 0;
        virtualizer.scrollToIndex(index, { align: 'start' });
      } else {
        const max = Math.max(0, el.scrollHeight - el.clientHeight);
        const want = Math.min(max, Math.max(0, row.start - target.offset));
        if (Math.abs(el.scrollTop - want) > 1) {
          stable = 0;
          virtualizer.scrollToOffset(want);
        } else stable++;
      }
      if (stable >= STABLE_FRAMES || ++frames > MAX_FRAMES) {
        finish();
        return;
      }
      raf = requestAnimationFrame(step);
    };
    step();
    return stop;
  }, [empty, target, virtualizer, scrollRef]);

  return restoring;
}

const GESTURES = ['wheel', 'touchstart', 'keydown', 'pointerdown'] as const;
