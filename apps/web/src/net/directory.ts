/**
 * The rooms directory on the wire: `rooms` requests a page at a time, their
 * answers into the store (state/directory.ts). An answer says which search
 * and page it answers (it echoes `prefix` and `after`), so an answer to an
 * earlier keystroke's search is known as such and dropped. An older server
 * does not echo; it answers a connection's requests in order
 * (docs/protocol.md, "Order of requests and answers"), so the requests on
 * their way are kept in order and each answer, or refusal, takes the oldest.
 */
import type { ClientMessage, RoomList } from '@tether/protocol';
import { ERROR_CODES } from '@tether/protocol/constants';

import { directoryFailed, directoryReceived, directoryRequested } from '../state/directory';
import type { RoomsQuery } from '../state/directory';
import type { ChatStateStore } from '../state/store';
import type { ChatState, StatePatch } from '../state/types';
import type { Clock } from './env';
import type { Refusal } from './retryAfter';
import type { RetryOnce } from './retryOnce';

/** Rooms in a page of the directory: a sidebar's worth. */
export const ROOMS_PAGE_SIZE = 20;

/** A search as the protocol takes it: lower case, room-name characters only, at most 32. */
export function roomPrefix(input: string): string {
  return input
    .trim()
    .replace(/^#/, '')
    .toLowerCase()
    .replace(/\s+/g, '-')
    .replace(/[^a-z0-9_-]/g, '')
    .slice(0, 32);
}

export interface RoomDirectoryOptions {
  store: ChatStateStore;
  /** When a page was answered is kept as a moment (`updatedAt`), so the wall clock. */
  wallClock: Clock;
  retries: RetryOnce;
  /** Sends on the current connection; false when there is none. */
  send(frame: ClientMessage): boolean;
}

const RETRY_KEY = 'rooms';

export class RoomDirectory {
  readonly #options: RoomDirectoryOptions;
  readonly #pending: RoomsQuery[] = [];
  /** The server on this connection echoes `prefix`/`after`: an answer without them is a first page of all rooms. */
  #echoes = false;

  constructor(options: RoomDirectoryOptions) {
    this.#options = options;
  }

  /** The first page of the current search again (on connect, and every 30 s): one cheap read. */
  refresh(): void {
    const { prefix } = this.#options.store.getState().directory;
    // A refresh on top of one still on its way would only repeat it.
    if (this.#pending.some((query) => query.prefix === prefix && query.after === undefined)) return;
    this.#request({ prefix });
  }

  /** The first page of the rooms whose name starts with `input` (normalised, see `roomPrefix`). */
  search(input: string): void {
    const prefix = roomPrefix(input);
    if (prefix === this.#options.store.getState().directory.prefix) return;
    this.#options.retries.cancel(RETRY_KEY);
    this.#request({ prefix });
  }

  /**
   * The page after the last room listed, when there is one and none is on
   * its way; after a refused first page, that page again.
   */
  more(): void {
    const { prefix, rooms, hasMore, loading, error } = this.#options.store.getState().directory;
    const last = rooms.at(-1);
    if (loading) return;
    if (hasMore && last) this.#request({ prefix, after: last.name });
    else if (error !== null) this.#request({ prefix });
  }

  received(page: RoomList): void {
    const query = this.#answered(page);
    this.#options.retries.answered(RETRY_KEY);
    const now = this.#options.wallClock.now();
    this.#update((s) => directoryReceived(s, page, query, now, this.#loading));
  }

  /**
   * An error with neither `id` nor `room` while a `rooms` request is on its
   * way: the oldest one was refused. A `rate_limited` is retried once after a
   * pause; anything else, or a second refusal, is shown. False when no
   * request was waiting (the error is someone else's).
   */
  refused(refusal: Refusal): boolean {
    const query = this.#pending.shift();
    if (!query) return false;
    const { code, retryAfterMs } = refusal;
    const again = () => {
      // A search typed meanwhile made this one moot.
      if (this.#options.store.getState().directory.prefix === query.prefix) this.#request(query);
      else this.#update((s) => directoryFailed(s, query, code, this.#loading));
    };
    if (code === ERROR_CODES.RATE_LIMITED && this.#options.retries.schedule(RETRY_KEY, again, retryAfterMs)) {
      return true;
    }
    this.#update((s) => directoryFailed(s, query, code, this.#loading));
    return true;
  }

  /** The connection is gone, and every answer on its way with it (the store's part is `connectionLost`). */
  connectionLost(): void {
    this.#pending.length = 0;
    // The next connection may reach another server (a rolling upgrade).
    this.#echoes = false;
    this.#options.retries.cancel(RETRY_KEY);
  }

  /** The query `page` answers, and it is no longer on its way. */
  #answered(page: RoomList): RoomsQuery {
    if (page.prefix !== undefined || page.after !== undefined) this.#echoes = true;
    if (!this.#echoes) {
      return this.#pending.shift() ?? { prefix: this.#options.store.getState().directory.prefix };
    }
    const query: RoomsQuery = { prefix: page.prefix ?? '' };
    if (page.after !== undefined) query.after = page.after;
    const at = this.#pending.findIndex(
      (asked) => asked.prefix === query.prefix && asked.after === query.after,
    );
    if (at !== -1) this.#pending.splice(at, 1);
    return query;
  }

  get #loading(): boolean {
    return this.#pending.length > 0 || this.#options.retries.waiting(RETRY_KEY);
  }

  #request(query: RoomsQuery): void {
    const frame: ClientMessage = {
      type: 'rooms',
      limit: ROOMS_PAGE_SIZE,
      ...(query.prefix === '' ? {} : { prefix: query.prefix }),
      ...(query.after === undefined ? {} : { after: query.after }),
    };
    if (this.#options.send(frame)) {
      this.#pending.push(query);
      this.#update((s) => directoryRequested(s, query));
    } else if (query.prefix !== this.#options.store.getState().directory.prefix) {
      // Offline: the search stands, and the refresh on the next connection asks it.
      this.#update((s) => ({
        directory: { ...s.directory, prefix: query.prefix, rooms: [], hasMore: false, error: null },
      }));
    }
  }

  #update(reducer: (state: ChatState) => StatePatch): void {
    const patch = reducer(this.#options.store.getState());
    if (patch) this.#options.store.setState(patch);
  }
}
