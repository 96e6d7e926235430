/**
 * Where each room was being read, so that a reload (or coming back to the
 * room) opens it there: at the newest message, or with the same message at
 * the top of the view. The message list reports it as the person scrolls;
 * persistence keeps it with the rooms (throttled, like the rest). Pure, like
 * reducers.ts.
 */
import { withEntry } from './maps';
import type { ChatState, ReadingPosition, StatePatch } from './types';

function same(a: ReadingPosition | undefined, b: ReadingPosition): boolean {
  if (a?.kind !== b.kind) return false;
  return a.kind === 'bottom' || (b.kind === 'at' && a.seq === b.seq && a.offset === b.offset);
}

/** The list of `room` is now read at `position`. */
export function readingPositionChanged(
  state: ChatState,
  room: string,
  position: ReadingPosition,
): StatePatch {
  if (!state.rooms.byName.has(room) || same(state.reading.byRoom.get(room), position)) return null;
  return { reading: { byRoom: withEntry(state.reading.byRoom, room, position) } };
}

/** A position read back from storage, or null when it is not one. */
export function parseReadingPosition(value: unknown): ReadingPosition | null {
  if (typeof value !== 'object' || value === null) return null;
  const { kind, seq, offset } = value as { kind?: unknown; seq?: unknown; offset?: unknown };
  if (kind === 'bottom') return { kind: 'bottom' };
  if (kind !== 'at' || typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) return null;
  if (typeof offset !== 'number' || !Number.isFinite(offset)) return null;
  return { kind: 'at', seq, offset };
}
