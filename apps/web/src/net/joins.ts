/**
 * The rooms joined on the current connection: every room is joined again
 * (resumed with `since` and `epoch`) on each new one, and a join the server
 * refused for now (`rate_limited`) is sent again after a pause (JoinRetry).
 */
import { ERROR_CODES } from '@tether/protocol/constants';

import { resumePoint } from '../state/changes';
import { NO_MESSAGES } from '../state/messages';
import { roomJoinSlow } from '../state/reducers';
import type { ChatStateStore } from '../state/store';
import type { ClientMessage } from '@tether/protocol';
import type { Timers } from './env';
import { JoinRetry } from './joinRetry';
import type { Refusal } from './retryAfter';

export interface JoinsOptions {
  store: ChatStateStore;
  timers: Timers;
  random: () => number;
  /** The first pause before a refused join goes out again. */
  retryMs: number;
  /** Sends on the current connection; false when there is none. */
  send(frame: ClientMessage): boolean;
  /** Whether the session is welcomed: joins go out only then. */
  welcomed(): boolean;
}

export class Joins {
  readonly #options: JoinsOptions;
  /** Rooms whose `join` went out on the current connection: sends and reads may follow. */
  readonly #sent = new Set<string>();
  readonly #retry: JoinRetry;

  constructor(options: JoinsOptions) {
    this.#options = options;
    this.#retry = new JoinRetry({
      timers: options.timers,
      random: options.random,
      pauseMs: options.retryMs,
      rejoin: (room) => options.welcomed() && this.send(room),
      onSlow: (room) => {
        const patch = roomJoinSlow(options.store.getState(), room);
        if (patch) options.store.setState(patch);
      },
    });
  }

  /** Whether the room's join went out on this connection. */
  has(room: string): boolean {
    return this.#sent.has(room);
  }

  /** Joins the room, resuming where its stream was read up to; false when it could not go out. */
  send(room: string): boolean {
    const state = this.#options.store.getState();
    const view = state.rooms.byName.get(room);
    if (!view) return false;
    const since = resumePoint(view, state.messages.byRoom.get(room) ?? NO_MESSAGES);
    // `since` counts only with the epoch it belongs to; without both the server
    // answers with the latest messages.
    const resume = since !== null && view.epoch !== null ? { since, epoch: view.epoch } : {};
    if (!this.#options.send({ type: 'join', room, ...resume })) return false;
    this.#sent.add(room);
    return true;
  }

  /** Leaves the room on this connection, if it was joined on it. */
  leave(room: string): void {
    this.#retry.forget(room);
    if (this.#sent.delete(room)) this.#options.send({ type: 'leave', room });
  }

  joined(room: string): void {
    this.#retry.joined(room);
  }

  /**
   * An error about `room`: true when it answers the room's join, still on
   * its way (a join is the first request of a room on a connection) and
   * refused for now (`rate_limited`, `internal`), which is then sent again
   * after a pause (the server's `retryAfterMs`, when it said one). Any other
   * error is the caller's to handle. A join sent behind a hello that was
   * refused (`not_authenticated`) is forgotten: the welcome sends it again.
   */
  refused(room: string, refusal: Refusal): boolean {
    if (refusal.code === ERROR_CODES.NOT_AUTHENTICATED && this.#sent.has(room)) {
      // Sent behind a hello that was refused: the welcome sends it again.
      this.#sent.delete(room);
      return true;
    }
    // `internal`: the server's storage failed; the protocol says to join again.
    const notNow = refusal.code === ERROR_CODES.RATE_LIMITED || refusal.code === ERROR_CODES.INTERNAL;
    if (!this.joining(room) || !notNow) return false;
    this.#sent.delete(room);
    this.#retry.refused(room, refusal.retryAfterMs);
    return true;
  }

  /** The room's join went out on this connection and has not been answered yet. */
  joining(room: string): boolean {
    const view = this.#options.store.getState().rooms.byName.get(room);
    return view !== undefined && !view.joined && this.#sent.has(room);
  }

  /** The connection is gone: on the next one every room is joined again. */
  connectionLost(): void {
    this.#sent.clear();
    this.#retry.clear();
  }
}
