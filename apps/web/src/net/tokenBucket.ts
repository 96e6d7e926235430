/**
 * Paces sends to the server's per-user rate limit. Without it a reconnect that
 * flushes a long outbox would earn a `rate_limited` for most of it, and 100 of
 * those within a minute close the connection with 1008, which is fatal.
 */
import type { Clock } from './env';

export class TokenBucket {
  #capacity: number;
  #perMs: number;
  readonly #clock: Clock;
  #tokens: number;
  #updatedAt: number;

  /** Starts full: `capacity` at once, then `perSecond`. */
  constructor(capacity: number, perSecond: number, clock: Clock) {
    this.#capacity = capacity;
    this.#perMs = perSecond / 1000;
    this.#clock = clock;
    this.#tokens = capacity;
    this.#updatedAt = clock.now();
  }

  /**
   * Takes the server's limits (from `welcome`; a restarted server may bring
   * new ones). The tokens held carry over, capped at the new capacity, so a
   * reconnect does not earn a fresh burst; a pause in force keeps its
   * remaining time.
   */
  setLimits(capacity: number, perSecond: number): void {
    this.#refill();
    const pausedMs = this.#tokens < 0 ? -this.#tokens / this.#perMs : 0;
    this.#capacity = capacity;
    this.#perMs = perSecond / 1000;
    this.#tokens = pausedMs > 0 ? -pausedMs * this.#perMs : Math.min(this.#tokens, capacity);
  }

  /** Takes one token if there is one. */
  take(): boolean {
    this.#refill();
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Milliseconds until `take` can succeed. */
  wait(): number {
    this.#refill();
    return this.#tokens >= 1 ? 0 : Math.ceil((1 - this.#tokens) / this.#perMs);
  }

  /**
   * The server said we are over its limit (other tabs of the same user share
   * it): nothing goes out for `ms`, then the bucket refills as usual.
   */
  pause(ms: number): void {
    this.#refill();
    // Pauses do not add up: a burst of rate_limited answers to pipelined sends
    // means one pause, not one per answer.
    this.#tokens = Math.min(this.#tokens, -ms * this.#perMs);
  }

  #refill(): void {
    const now = this.#clock.now();
    // A clock that went backwards (manual change) must not drain the bucket.
    const elapsed = Math.max(0, now - this.#updatedAt);
    this.#updatedAt = now;
    this.#tokens = Math.min(this.#capacity, this.#tokens + elapsed * this.#perMs);
  }
}
