/**
 * When the next connection attempt comes (docs/protocol.md, "Reconnect"): the
 * one place that decides it. Three regimes, by what the last close said:
 *
 * - the backoff ladder with full jitter, for a drop without a goodbye;
 * - at least 5 s after a 1013 (server full), not cut short by `online` or
 *   `visible` either: every client of a busy server sees those too;
 * - the restart hint's pace after a 1001 that carries one: the first attempt
 *   waits `retryInMs + random × spreadMs`, one after a refusal a short step
 *   (`restartRetryDelay`), until a connection is welcomed or
 *   RESTART_PACE_MAX_MS have passed, then the ladder again.
 *
 * Pure bookkeeping over an injected clock and random source: the socket owns
 * the timers.
 */
import { CLOSE_CODES, RECONNECT } from '@tether/protocol/constants';
import { parseRestartHint, restartRetryDelay } from '@tether/protocol/rules';
import type { RestartHint } from '@tether/protocol/rules';

import { reconnectDelay } from './backoff';
import type { Clock } from './env';

export class RetryPlan {
  readonly #clock: Clock;
  readonly #random: () => number;
  /** Failed attempts since the last connection that stayed up RESET_AFTER_MS. */
  #attempt = 0;
  /** After a 1013, no automatic attempt before this time. */
  #notBefore = 0;
  /** The restart hint being followed, until when, and the attempts made under it. */
  #pace: { hint: RestartHint; until: number; tries: number } | null = null;

  constructor(clock: Clock, random: () => number) {
    this.#clock = clock;
    this.#random = random;
  }

  /** The attempt the next connection is (0: a first connection, or one after a reset). */
  get attempt(): number {
    return this.#attempt;
  }

  /** Whether attempts follow a restart hint now: the banner then says the server is restarting. */
  get restarting(): boolean {
    if (this.#pace !== null && this.#clock.now() >= this.#pace.until) this.#pace = null;
    return this.#pace !== null;
  }

  /**
   * Whether asking GET /readyz may cut the wait short. Not during a 1013
   * pause (the server is up, and full), nor while following a restart hint:
   * the hint spreads thousands of clients over `spreadMs` on purpose, and
   * all of them connecting the moment /readyz says 200 would undo that.
   */
  get mayProbe(): boolean {
    return !this.restarting && this.#clock.now() >= this.#notBefore;
  }

  /** How long an attempt must still wait whatever happens (a 1013 pause), 0 when none. */
  get hold(): number {
    return Math.max(0, this.#notBefore - this.#clock.now());
  }

  /** Counting from the start: a new session, a sign-out. */
  reset(): void {
    this.#attempt = 0;
    this.#pace = null;
  }

  /**
   * A connection ended. Only one that stayed up resets the count, so a
   * server that accepts and then drops at once keeps being backed off.
   */
  ended(openedAt: number | null): void {
    if (openedAt !== null && this.#clock.now() - openedAt >= RECONNECT.RESET_AFTER_MS) this.#attempt = 0;
  }

  /** The server welcomed us: whatever restart we were waiting out is over. */
  welcomed(): void {
    this.#pace = null;
  }

  /** The wait before the next attempt after a close with `code` and `reason`; counts the attempt. */
  next(code: number, reason: string): number {
    this.#attempt += 1;
    const now = this.#clock.now();
    if (code === CLOSE_CODES.GOING_AWAY) {
      const hint = parseRestartHint(reason);
      // A second hint (the new process stopping too) starts a window of its own.
      if (hint) this.#pace = { hint, until: now + RECONNECT.RESTART_PACE_MAX_MS, tries: 0 };
    }
    if (this.restarting && this.#pace) {
      // Attempts keep counting: a server still gone when the window ends is
      // then backed off from where the count stands, not from the bottom.
      return Math.floor(restartRetryDelay(this.#pace.hint, this.#pace.tries++, this.#random));
    }
    const delay = reconnectDelay(this.#attempt, code, this.#random);
    if (code === CLOSE_CODES.TRY_AGAIN_LATER) this.#notBefore = now + delay;
    return delay;
  }
}
