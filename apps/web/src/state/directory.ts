/**
 * The rooms directory, a page at a time in name order (docs/protocol.md,
 * "rooms"): a first page, the next ones on "Show more", and a search by
 * name prefix. Pure, like reducers.ts.
 */
import type { RoomList } from '@tether/protocol';

import type { ChatState, DirectorySlice, StatePatch } from './types';

/** What a `rooms` request asked: the answer does not say, so the client remembers. */
export interface RoomsQuery {
  prefix: string;
  /** The last name of the page before; absent for a first page. */
  after?: string;
}

/** A request went out. A new search starts from an empty list; the same one keeps what it shows. */
export function directoryRequested(state: ChatState, query: RoomsQuery): StatePatch {
  const current = state.directory;
  const directory: DirectorySlice =
    current.prefix === query.prefix
      ? { ...current, loading: true, error: null }
      : { ...current, prefix: query.prefix, rooms: [], hasMore: false, loading: true, error: null };
  return { directory };
}

/**
 * The answer to a `rooms` request (`query`: what it asked; `loading`: whether
 * another is still on its way). An answer to a search since replaced is
 * dropped. A next page extends the list. A first page (the refresh every
 * 30 s is one) replaces only what it covers: the pages the person loaded
 * after it stay, so a refresh does not fold the list back up.
 */
export function directoryReceived(
  state: ChatState,
  page: RoomList,
  query: RoomsQuery,
  now: number,
  loading: boolean,
): StatePatch {
  const current = state.directory;
  if (current.prefix !== query.prefix)
    return loading === current.loading ? null : { directory: { ...current, loading } };
  const pageHasMore = page.hasMore ?? false;
  let rooms = page.rooms;
  let hasMore = pageHasMore;
  if (query.after !== undefined) {
    rooms = [...current.rooms, ...page.rooms.filter((room) => room.name > (query.after ?? ''))];
  } else if (pageHasMore) {
    const last = page.rooms.at(-1)?.name ?? '';
    const beyond = current.rooms.filter((room) => room.name > last);
    if (beyond.length > 0) {
      rooms = [...page.rooms, ...beyond];
      hasMore = current.hasMore;
    }
  }
  return { directory: { ...current, rooms, hasMore, loading, updatedAt: now, error: null } };
}

/** A request was refused (and is not retried): the list stays, and says why. */
export function directoryFailed(
  state: ChatState,
  query: RoomsQuery,
  code: string,
  loading: boolean,
): StatePatch {
  const current = state.directory;
  if (current.prefix !== query.prefix)
    return loading === current.loading ? null : { directory: { ...current, loading } };
  return { directory: { ...current, loading, error: code } };
}
