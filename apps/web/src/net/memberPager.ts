/**
 * A big room's members on the wire: `members` requests a page at a time,
 * searched by name prefix, and their answers into the store
 * (state/members.ts). An answer names its room, and echoes the search and
 * page it answers (`prefix`, `after`), so an answer to a search since
 * replaced is known as such and dropped. An older server does not echo; it
 * answers in order, so each room's requests on their way are kept in order
 * and each answer takes the oldest.
 *
 * A big room's `joined` brings the first page of everyone and where the next
 * one starts (`membersNext`): the panel shows it and "Show more" continues
 * from there, without asking for that first page again.
 */
import type { ClientMessage, MemberPage } from '@tether/protocol';
import { ERROR_CODES, LIMITS } from '@tether/protocol/constants';

import { memberPageReceived, memberPagesFailed, memberPagesRequested } from '../state/members';
import type { MembersQuery } from '../state/members';
import type { ChatStateStore } from '../state/store';
import type { ChatState, StatePatch } from '../state/types';
import type { PendingReads } from './pendingReads';
import type { Refusal } from './retryAfter';
import type { RetryOnce } from './retryOnce';

/** Members in a page of the panel: as many as a big room's `joined` holds. */
export const MEMBERS_PAGE_SIZE = LIMITS.MEMBERS_PAGE_LIMIT;

/**
 * A search as the protocol takes it: names never start with white space, and
 * at most 64 UTF-16 units, cut between characters (half a surrogate pair
 * would be a bad_request).
 */
export function memberPrefix(input: string): string {
  let prefix = '';
  for (const char of input.trimStart()) {
    if (prefix.length + char.length > 2 * LIMITS.MAX_PREFIX_CHARS) break;
    prefix += char;
  }
  return prefix;
}

export interface MemberPagerOptions {
  store: ChatStateStore;
  retries: RetryOnce;
  reads: PendingReads;
  /** Sends on the current connection; false when there is none. */
  send(frame: ClientMessage): boolean;
}

export class MemberPager {
  readonly #options: MemberPagerOptions;
  readonly #pending = new Map<string, MembersQuery[]>();
  /** The server on this connection echoes `prefix`/`after` (see RoomDirectory). */
  #echoes = false;
  /** Rooms whose first page of everyone came with `joined` on this connection. */
  readonly #fromJoin = new Set<string>();

  constructor(options: MemberPagerOptions) {
    this.#options = options;
  }

  /** The first page of the room's members whose name starts with `input`. */
  search(room: string, input: string): void {
    const prefix = memberPrefix(input);
    // The first page of everyone came with the join: it is what this would ask.
    if (prefix === '' && this.#fromJoin.has(room)) {
      if (this.#options.store.getState().members.pagesByRoom.get(room)?.prefix === '') return;
    }
    this.#fromJoin.delete(room);
    // The same first page on its way already answers this.
    if (this.#pendingOf(room).some((query) => query.prefix === prefix && query.after === undefined)) return;
    this.#options.retries.cancel(key(room));
    this.#request(room, { prefix });
  }

  /**
   * The page after the last one received, when there is one and none is on
   * its way; after a refused first page, that page again.
   */
  more(room: string): void {
    const pages = this.#options.store.getState().members.pagesByRoom.get(room);
    if (!pages || pages.loading) return;
    if (pages.hasMore && pages.next !== null)
      this.#request(room, { prefix: pages.prefix, after: pages.next });
    else if (pages.error !== null && pages.next === null) this.#request(room, { prefix: pages.prefix });
  }

  /** A `joined` of the room: `seeded` when it brought the first page of everyone and a `membersNext`. */
  joined(room: string, seeded: boolean): void {
    if (seeded) this.#fromJoin.add(room);
    else this.#fromJoin.delete(room);
  }

  received(page: MemberPage): void {
    const query = this.#answered(page);
    this.#options.reads.answered(page.room, 'members');
    this.#options.retries.answered(key(page.room));
    this.#update((s) => memberPageReceived(s, page, query));
  }

  /**
   * The oldest `members` request of the room was refused. A `rate_limited` is
   * retried once after a pause (the list keeps saying it is loading); anything
   * else, or a second refusal, is shown, and "Show more" or a new search
   * tries again.
   */
  refused(room: string, refusal: Refusal): void {
    const query = this.#pendingOf(room).shift();
    if (!query) return;
    const again = () => {
      const pages = this.#options.store.getState().members.pagesByRoom.get(room);
      if (pages?.prefix === query.prefix) this.#request(room, query);
    };
    const { code, retryAfterMs } = refusal;
    if (code === ERROR_CODES.RATE_LIMITED && this.#options.retries.schedule(key(room), again, retryAfterMs)) {
      return;
    }
    this.#update((s) => memberPagesFailed(s, room, query, code));
  }

  /** The room was left. */
  forget(room: string): void {
    this.#pending.delete(room);
    this.#fromJoin.delete(room);
    this.#options.retries.cancel(key(room));
  }

  /** The connection is gone, and every answer on its way with it. */
  connectionLost(): void {
    this.#pending.clear();
    this.#fromJoin.clear();
    this.#echoes = false;
  }

  /** The query `page` answers, and it is no longer on its way. */
  #answered(page: MemberPage): MembersQuery {
    const pending = this.#pendingOf(page.room);
    if (page.prefix !== undefined || page.after !== undefined) this.#echoes = true;
    if (!this.#echoes) return pending.shift() ?? { prefix: '' };
    const query: MembersQuery = { prefix: page.prefix ?? '' };
    if (page.after !== undefined) query.after = page.after;
    const at = pending.findIndex((asked) => asked.prefix === query.prefix && asked.after === query.after);
    if (at !== -1) pending.splice(at, 1);
    return query;
  }

  #pendingOf(room: string): MembersQuery[] {
    let pending = this.#pending.get(room);
    if (!pending) {
      pending = [];
      this.#pending.set(room, pending);
    }
    return pending;
  }

  #request(room: string, query: MembersQuery): void {
    const frame: ClientMessage = {
      type: 'members',
      room,
      limit: MEMBERS_PAGE_SIZE,
      ...(query.prefix === '' ? {} : { prefix: query.prefix }),
      ...(query.after === undefined ? {} : { after: query.after }),
    };
    if (!this.#options.send(frame)) return;
    this.#pendingOf(room).push(query);
    this.#options.reads.sent(room, 'members');
    this.#update((s) => memberPagesRequested(s, room, query));
  }

  #update(reducer: (state: ChatState) => StatePatch): void {
    const patch = reducer(this.#options.store.getState());
    if (patch) this.#options.store.setState(patch);
  }
}

function key(room: string): string {
  return `members:${room}`;
}
