/**
 * The reads: a room's older messages (`history`), the rooms directory
 * (`rooms`, directory.ts) and a big room's members (`members`,
 * memberPager.ts), and what follows when the server refuses one. Each spends
 * the read budget (docs/protocol.md, "Budgets"): a `rate_limited` read is
 * tried once more after a pause, then left for the person to retry.
 */
import type { ClientMessage, HistoryPage } from '@tether/protocol';
import { ERROR_CODES, LIMITS } from '@tether/protocol/constants';

import { NO_MESSAGES, oldestSeq } from '../state/messages';
import { historyReceived, historyRequested, roomFailed } from '../state/reducers';
import type { ChatStateStore } from '../state/store';
import type { ChatState, StatePatch } from '../state/types';
import { RoomDirectory } from './directory';
import type { Clock, Timers } from './env';
import { MemberPager } from './memberPager';
import { PendingReads } from './pendingReads';
import type { RoomRead } from './pendingReads';
import type { Refusal } from './retryAfter';
import { RetryOnce } from './retryOnce';

export interface ReadsOptions {
  store: ChatStateStore;
  /** For when the directory was last answered (a moment, not a duration). */
  wallClock: Clock;
  timers: Timers;
  random: () => number;
  /** The pause before a refused read is tried again. */
  retryMs: number;
  /** Sends on the current connection; false when there is none. */
  send: (frame: ClientMessage) => boolean;
  /** Whether the session is welcomed: the directory's reads need that. */
  welcomed: () => boolean;
  /** Whether the room is joined on the current connection: its reads need that. */
  canRead: (room: string) => boolean;
}

export class Reads {
  readonly directory: RoomDirectory;
  readonly members: MemberPager;
  readonly #options: ReadsOptions;
  readonly #retries: RetryOnce;
  readonly #pending = new PendingReads();

  constructor(options: ReadsOptions) {
    this.#options = options;
    this.#retries = new RetryOnce(options.timers, options.random, options.retryMs);
    const { store, wallClock, send } = options;
    this.directory = new RoomDirectory({ store, wallClock, retries: this.#retries, send });
    this.members = new MemberPager({ store, retries: this.#retries, reads: this.#pending, send });
  }

  /** The first page of the directory's current search again. */
  listRooms(): void {
    if (this.#options.welcomed()) this.directory.refresh();
  }

  /** The directory's next page. */
  moreRooms(): void {
    if (this.#options.welcomed()) this.directory.more();
  }

  /** The first page of a big room's members whose name starts with `text`. */
  searchMembers(room: string, text: string): void {
    if (this.#options.canRead(room)) this.members.search(room, text);
  }

  /** The next page of a room's members. */
  moreMembers(room: string): void {
    if (this.#options.canRead(room)) this.members.more(room);
  }

  /** Asks for up to 50 messages before the oldest one held. Returns whether a request went out. */
  loadOlder(room: string): boolean {
    const view = this.#options.store.getState().rooms.byName.get(room);
    if (!this.#options.canRead(room) || !view?.hasMore || view.loadingOlder) return false;
    return this.#sendHistory(room);
  }

  historyReceived(page: HistoryPage): void {
    this.#pending.answered(page.room, 'history');
    this.#retries.answered(historyKey(page.room));
    this.#update((s) => historyReceived(s, page));
  }

  /**
   * An error about `room` that answers one of its reads: of kind `read` when
   * the error names its request, else the oldest one on its way. False when
   * no such read of the room was waiting: the error is about something else.
   */
  refused(room: string, refusal: Refusal, read?: RoomRead): boolean {
    const answered = this.#pending.refused(room, read);
    if (answered === undefined) return false;
    if (answered === 'members') {
      this.members.refused(room, refusal);
      return true;
    }
    const { code, retryAfterMs } = refusal;
    const again = () => {
      if (!this.#options.canRead(room) || !this.#sendHistory(room)) {
        this.#update((s) => roomFailed(s, room, code));
      }
    };
    // While the pause lasts the room keeps saying it is loading older messages.
    if (code === ERROR_CODES.RATE_LIMITED && this.#retries.schedule(historyKey(room), again, retryAfterMs)) {
      return true;
    }
    this.#update((s) => roomFailed(s, room, code));
    return true;
  }

  /** An error that names no room and no message: the directory's, if a `rooms` request waited. */
  refusedRoomless(refusal: Refusal): boolean {
    return this.directory.refused(refusal);
  }

  /** The room was left. */
  forget(room: string): void {
    this.#pending.forget(room);
    this.#retries.cancel(historyKey(room));
    this.members.forget(room);
  }

  /** The connection is gone, and every answer on its way with it; nothing is retried on the next one. */
  connectionLost(): void {
    this.#pending.clear();
    this.#retries.clear();
    this.directory.connectionLost();
    this.members.connectionLost();
  }

  #sendHistory(room: string): boolean {
    const before = oldestSeq(this.#options.store.getState().messages.byRoom.get(room) ?? NO_MESSAGES);
    const sent = this.#options.send({
      type: 'history',
      room,
      limit: LIMITS.HISTORY_DEFAULT_LIMIT,
      ...(before === null ? {} : { before }),
    });
    if (sent) {
      this.#pending.sent(room, 'history');
      this.#update((s) => historyRequested(s, room));
    }
    return sent;
  }

  #update(reducer: (state: ChatState) => StatePatch): void {
    const patch = reducer(this.#options.store.getState());
    if (patch) this.#options.store.setState(patch);
  }
}

function historyKey(room: string): string {
  return `history:${room}`;
}
