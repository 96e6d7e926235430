/**
 * "Try again shortly" for reads the server refused with `rate_limited`
 * (docs/protocol.md, "Budgets"): one more try after a pause, then it is the
 * person's to retry. Never a loop: every refusal counts toward the abuse
 * limit (100 a minute close the connection), and the read budget refills at
 * a few a second, so a second refusal in a row means "not now".
 */
import type { TimerHandle, Timers } from './env';
import { retryAfterDelay } from './retryAfter';

/**
 * The pause is the server's `retryAfterMs` (see retryAfter.ts); from an older
 * server that says nothing, `ms` plus up to half of it again, so refused tabs
 * do not all come back in step.
 */
export class RetryOnce {
  readonly #timers: Timers;
  readonly #random: () => number;
  readonly #ms: number;
  readonly #retried = new Set<string>();
  readonly #waiting = new Map<string, TimerHandle>();

  constructor(timers: Timers, random: () => number, ms: number) {
    this.#timers = timers;
    this.#random = random;
    this.#ms = ms;
  }

  /**
   * Runs `again` after the pause (`retryAfterMs`: the server's word, when it
   * gave one), unless `key` was retried already since it was last answered:
   * then false, and the caller gives up.
   */
  schedule(key: string, again: () => void, retryAfterMs?: number): boolean {
    if (this.#retried.has(key)) {
      this.#retried.delete(key);
      return false;
    }
    this.cancel(key);
    this.#retried.add(key);
    const guess = () => this.#ms + Math.floor(this.#random() * (this.#ms / 2));
    const delay = retryAfterDelay(retryAfterMs, guess, this.#random);
    this.#waiting.set(
      key,
      this.#timers.setTimeout(() => {
        this.#waiting.delete(key);
        again();
      }, delay),
    );
    return true;
  }

  /** A retry of `key` is waiting for its pause to end. */
  waiting(key: string): boolean {
    return this.#waiting.has(key);
  }

  /** `key` was answered: a later refusal may be retried once again. */
  answered(key: string): void {
    this.#retried.delete(key);
  }

  /** Forgets `key`: its retry does not happen. */
  cancel(key: string): void {
    const timer = this.#waiting.get(key);
    if (timer !== undefined) this.#timers.clearTimeout(timer);
    this.#waiting.delete(key);
  }

  /** The connection is gone: no retry happens, and the next connection starts afresh. */
  clear(): void {
    for (const timer of this.#waiting.values()) this.#timers.clearTimeout(timer);
    this.#waiting.clear();
    this.#retried.clear();
  }
}
