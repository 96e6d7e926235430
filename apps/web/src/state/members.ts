/**
 * A room's members, small or big (docs/protocol.md, "Big rooms" and
 * "members"): the list and the count `joined` gives, the `roster` that
 * follows the count of a big room (or makes it small again), and the pages
 * the members panel reads of a big room. Pure, like reducers.ts.
 */
import type { Joined, MemberPage, Roster, User } from '@tether/protocol';

import { mapValues, withEntry, withoutEntry } from './maps';
import type { ChatState, MemberPages, MembersSlice, RoomRoster, StatePatch } from './types';

/** What a `members` request asked (a server echoes it in the answer; an older one does not). */
export interface MembersQuery {
  prefix: string;
  /** The cursor the request carried; absent for a first page. */
  after?: string;
}

function withRoster(members: MembersSlice, room: string, roster: RoomRoster): MembersSlice {
  const current = members.rosterByRoom.get(room);
  if (current?.count === roster.count && current.complete === roster.complete) return members;
  return { ...members, rosterByRoom: withEntry(members.rosterByRoom, room, roster) };
}

function withPages(members: MembersSlice, room: string, pages: MemberPages): MembersSlice {
  return { ...members, pagesByRoom: withEntry(members.pagesByRoom, room, pages) };
}

/** A small room's pages are of no use: its panel has every member, and filters them itself. */
function small(members: MembersSlice, room: string, list: User[], count: number): MembersSlice {
  return {
    byRoom: withEntry(members.byRoom, room, list),
    rosterByRoom: withEntry(members.rosterByRoom, room, { count, complete: true }),
    pagesByRoom: withoutEntry(members.pagesByRoom, room),
  };
}

/**
 * The members `joined` gives: every one in a small room, the first page in a
 * big one, which `memberCount` then exceeds. A server from before big rooms
 * sends no count: its list is complete. With `membersNext`, that first page
 * is the panel's first page of everyone ("Show more" continues from it),
 * unless the panel shows a search: that stays.
 */
export function membersJoined(members: MembersSlice, joined: Joined): MembersSlice {
  const count = joined.memberCount ?? joined.members.length;
  if (joined.members.length >= count) return small(members, joined.room, joined.members, count);
  const big: MembersSlice = {
    ...members,
    byRoom: withEntry(members.byRoom, joined.room, joined.members),
    rosterByRoom: withEntry(members.rosterByRoom, joined.room, { count, complete: false }),
  };
  const pages = members.pagesByRoom.get(joined.room);
  if (joined.membersNext === undefined || (pages !== undefined && pages.prefix !== '')) return big;
  return withPages(big, joined.room, {
    prefix: '',
    members: joined.members,
    hasMore: true,
    next: joined.membersNext,
    loading: false,
    error: null,
  });
}

/** Whether `joined` gave the first page of everyone and where the next starts (see `membersJoined`). */
export function seedsMemberPages(joined: Joined): boolean {
  return joined.membersNext !== undefined && joined.members.length < (joined.memberCount ?? 0);
}

/** Everything held about a room's members goes when the room is left. */
export function membersRemoved(members: MembersSlice, room: string): MembersSlice {
  return {
    byRoom: withoutEntry(members.byRoom, room),
    rosterByRoom: withoutEntry(members.rosterByRoom, room),
    pagesByRoom: withoutEntry(members.pagesByRoom, room),
  };
}

/** Whether the room's list is every member (a small room, or one we know nothing of yet). */
export function isComplete(members: MembersSlice, room: string): boolean {
  return members.rosterByRoom.get(room)?.complete ?? true;
}

/** A small room's list after a presence change: its count is its length. */
export function membersChanged(members: MembersSlice, room: string, list: User[]): MembersSlice {
  return withRoster({ ...members, byRoom: withEntry(members.byRoom, room, list) }, room, {
    count: list.length,
    complete: true,
  });
}

/**
 * A big room's count changed, or the room became big (no `members`: the list
 * held stops being a live record), or small again (`members`: every member;
 * presence follows from here).
 */
export function rosterReceived(state: ChatState, roster: Roster): StatePatch {
  if (!state.rooms.byName.has(roster.room)) return null;
  if (roster.members) return { members: small(state.members, roster.room, roster.members, roster.count) };
  const members = withRoster(state.members, roster.room, { count: roster.count, complete: false });
  return members === state.members ? null : { members };
}

/**
 * A page is asked for: a first page of `query.prefix` (a new search starts
 * empty; the same one keeps what it shows until the answer), or the next
 * page of the current one.
 */
export function memberPagesRequested(state: ChatState, room: string, query: MembersQuery): StatePatch {
  if (!state.rooms.byName.has(room)) return null;
  const current = state.members.pagesByRoom.get(room);
  const same = current?.prefix === query.prefix;
  const pages: MemberPages =
    query.after !== undefined && current && same
      ? { ...current, loading: true, error: null }
      : {
          prefix: query.prefix,
          members: same ? current.members : [],
          hasMore: same ? current.hasMore : false,
          next: same ? current.next : null,
          loading: true,
          error: null,
        };
  return { members: withPages(state.members, room, pages) };
}

/**
 * The answer to a `members` request (`query`: what it asked). One for a
 * search since replaced by another is dropped; a first page replaces the
 * list, a next page extends it. Its `count` is the room's, whatever the search.
 */
export function memberPageReceived(state: ChatState, page: MemberPage, query: MembersQuery): StatePatch {
  if (!state.rooms.byName.has(page.room)) return null;
  // A small room's count is its list's length, kept by presence; a big room's is the server's.
  const roster = state.members.rosterByRoom.get(page.room);
  let members =
    roster?.complete === true
      ? state.members
      : withRoster(state.members, page.room, { count: page.count, complete: false });
  const current = members.pagesByRoom.get(page.room);
  if (current?.prefix === query.prefix) {
    let list = page.members;
    if (query.after !== undefined) {
      // A member who moved between two pages (renamed) is listed once.
      const seen = new Set(current.members.map((member) => member.id));
      list = [...current.members, ...page.members.filter((member) => !seen.has(member.id))];
    }
    members = withPages(members, page.room, {
      prefix: query.prefix,
      members: list,
      hasMore: page.hasMore,
      next: page.hasMore ? (page.next ?? null) : null,
      loading: false,
      error: null,
    });
  }
  return members === state.members ? null : { members };
}

/** A `members` request was refused (and is not retried): "Show more" lets the person try again. */
export function memberPagesFailed(
  state: ChatState,
  room: string,
  query: MembersQuery,
  code: string,
): StatePatch {
  const current = state.members.pagesByRoom.get(room);
  if (current?.prefix !== query.prefix) return null;
  return { members: withPages(state.members, room, { ...current, loading: false, error: code }) };
}

/** The connection is gone and with it every answer on its way. */
export function memberPagesIdle(members: MembersSlice): MembersSlice {
  const pagesByRoom = mapValues(members.pagesByRoom, (pages) =>
    pages.loading ? { ...pages, loading: false } : pages,
  );
  return pagesByRoom === members.pagesByRoom ? members : { ...members, pagesByRoom };
}
