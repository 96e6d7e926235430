/**
 * Joins the server refused with `rate_limited` (docs/protocol.md, "Budgets"):
 * a refused room is not a failed one, it is joined again after a pause.
 *
 * One retried join on its way at a time, the next one a pause after its
 * answer, and the pause doubles while refusals go on (up to MAX_PAUSE_MS):
 * twenty rooms refused at once must not come back as twenty joins a second,
 * since every refusal counts toward the abuse limit (100 a minute close the
 * connection). A join answered resets the pause. A server that says when
 * its budget has room again (`retryAfterMs`) is taken at its word instead.
 */
import type { TimerHandle, Timers } from './env';
import { retryAfterDelay } from './retryAfter';

/** The longest pause between two retried joins. */
export const MAX_PAUSE_MS = 30_000;

/** After this many refusals in a row, the room says it is waiting (see `onSlow`). */
export const SLOW_AFTER_REFUSALS = 3;

export interface JoinRetryOptions {
  timers: Timers;
  random: () => number;
  /** The first pause; each refusal in a row doubles it. */
  pauseMs: number;
  /** Sends the join again, if the room is still wanted; false when it could not go out. */
  rejoin(room: string): boolean;
  /** The room has been refused SLOW_AFTER_REFUSALS times in a row: say so, it may take a while. */
  onSlow(room: string): void;
}

export class JoinRetry {
  readonly #options: JoinRetryOptions;
  /** Rooms waiting to be joined again, oldest refusal first. */
  readonly #queue: string[] = [];
  readonly #refusals = new Map<string, number>();
  /** The retried join on its way, until its answer. */
  #inFlight: string | null = null;
  #pause: number;
  /** The server's wait for the next retry, jitter included, when its refusal said one. */
  #told: number | null = null;
  #timer: TimerHandle | undefined;

  constructor(options: JoinRetryOptions) {
    this.#options = options;
    this.#pause = options.pauseMs;
  }

  /** The join of `room` was refused with `rate_limited` (`retryAfterMs`: when the server said to ask again). */
  refused(room: string, retryAfterMs?: number): void {
    const refusals = (this.#refusals.get(room) ?? 0) + 1;
    this.#refusals.set(room, refusals);
    if (refusals === SLOW_AFTER_REFUSALS) this.#options.onSlow(room);
    if (retryAfterMs !== undefined) {
      this.#told = retryAfterDelay(retryAfterMs, () => this.#pause, this.#options.random);
    } else if (refusals > 1) {
      // A retry refused again: the budget is still spent, wait longer.
      this.#pause = Math.min(MAX_PAUSE_MS, this.#pause * 2);
    }
    if (this.#inFlight === room) this.#inFlight = null;
    if (!this.#queue.includes(room)) this.#queue.push(room);
    this.#schedule();
  }

  /** `room` was joined: its refusals are over, and the budget has room again. */
  joined(room: string): void {
    if (!this.#refusals.delete(room)) return;
    this.#pause = this.#options.pauseMs;
    if (this.#inFlight === room) this.#inFlight = null;
    this.#schedule();
  }

  /** The room was left: it is not joined again. */
  forget(room: string): void {
    this.#refusals.delete(room);
    const at = this.#queue.indexOf(room);
    if (at !== -1) this.#queue.splice(at, 1);
    if (this.#inFlight === room) this.#inFlight = null;
    this.#schedule();
  }

  /** The connection is gone: its resume joins every room anew. */
  clear(): void {
    this.#queue.length = 0;
    this.#refusals.clear();
    this.#inFlight = null;
    this.#pause = this.#options.pauseMs;
    this.#told = null;
    if (this.#timer !== undefined) this.#options.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#inFlight !== null || this.#queue.length === 0) return;
    const delay = this.#told ?? this.#pause + Math.floor(this.#options.random() * (this.#pause / 2));
    this.#told = null;
    this.#timer = this.#options.timers.setTimeout(() => {
      this.#timer = undefined;
      const room = this.#queue.shift();
      // Its answer schedules the next; a join that could not go out does not hold the others.
      if (room !== undefined && this.#options.rejoin(room)) this.#inFlight = room;
      this.#schedule();
    }, delay);
  }
}
