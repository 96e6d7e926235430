/**
 * The client side of docs/protocol.md "Heartbeat": an app-level ping every
 * `intervalMs`, and a dead link declared when no frame at all arrived within
 * `timeoutMs` after a ping.
 *
 * Timers in a background tab are throttled (to once a minute in Chrome) and
 * stop while the machine sleeps, so a timer may fire long after it was due.
 * Such a late timer proves nothing about the link: the pong may simply not
 * have had a running event loop to arrive in. A late verdict is therefore
 * never trusted: it sends a fresh ping and judges by the answer to that one.
 */
import type { Clock, TimerHandle, Timers } from './env';

/**
 * How late a timer may fire and still be trusted. Chrome aligns timers of
 * hidden tabs to whole seconds, so lateness below a second is ordinary.
 */
export const LATE_TIMER_TOLERANCE_MS = 2000;

export interface HeartbeatOptions {
  /** From `welcome.heartbeat.intervalMs`. */
  intervalMs: number;
  /** From `welcome.heartbeat.timeoutMs`. */
  timeoutMs: number;
  clock: Clock;
  timers: Timers;
  /** Sends `{"type":"ping","t":t}`. */
  sendPing(t: number): void;
  /** Nothing arrived within `timeoutMs` of a ping, judged by a timer that was on time. */
  onDead(): void;
  /** @default LATE_TIMER_TOLERANCE_MS */
  lateToleranceMs?: number;
}

export class Heartbeat {
  readonly #options: HeartbeatOptions;
  readonly #tolerance: number;
  #pingTimer: TimerHandle | undefined;
  #deadlineTimer: TimerHandle | undefined;
  #deadlineDueAt = 0;
  /** Whether any frame arrived since the ping the pending deadline judges. */
  #heard = true;
  #running = false;

  constructor(options: HeartbeatOptions) {
    this.#options = options;
    this.#tolerance = options.lateToleranceMs ?? LATE_TIMER_TOLERANCE_MS;
  }

  get running(): boolean {
    return this.#running;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedulePing();
  }

  stop(): void {
    this.#running = false;
    this.#clear('ping');
    this.#clear('deadline');
  }

  /** Any frame from the server: the link is alive. */
  received(): void {
    this.#heard = true;
  }

  /** Round trip of a `pong` to one of our pings, or null when `t` is not ours. */
  pong(t: number): number | null {
    if (!Number.isFinite(t)) return null;
    const rtt = this.#options.clock.now() - t;
    return rtt >= 0 ? rtt : null;
  }

  /** Checks the link now, e.g. when the page becomes visible after a sleep. */
  pingNow(): void {
    if (!this.#running) return;
    this.#ping();
    this.#schedulePing();
  }

  #schedulePing(): void {
    this.#clear('ping');
    this.#pingTimer = this.#options.timers.setTimeout(() => {
      this.#pingTimer = undefined;
      // Late or not, the ping goes out now; only its answer decides.
      this.#ping();
      this.#schedulePing();
    }, this.#options.intervalMs);
  }

  #ping(): void {
    const now = this.#options.clock.now();
    // While an earlier ping is unanswered, that one stays the one judged:
    // re-arming on every ping would postpone the verdict forever whenever
    // intervalMs < timeoutMs. An answered one is done with.
    if (this.#deadlineTimer === undefined || this.#heard) {
      this.#clear('deadline');
      this.#armDeadline(now);
    }
    this.#options.sendPing(now);
  }

  #armDeadline(now: number): void {
    this.#heard = false;
    this.#deadlineDueAt = now + this.#options.timeoutMs;
    this.#deadlineTimer = this.#options.timers.setTimeout(() => {
      this.#deadlineTimer = undefined;
      this.#judge();
    }, this.#options.timeoutMs);
  }

  #judge(): void {
    if (!this.#running || this.#heard) return;
    const lateBy = this.#options.clock.now() - this.#deadlineDueAt;
    if (lateBy > this.#tolerance) {
      this.#ping();
      return;
    }
    this.stop();
    this.#options.onDead();
  }

  #clear(which: 'ping' | 'deadline'): void {
    const handle = which === 'ping' ? this.#pingTimer : this.#deadlineTimer;
    if (handle !== undefined) this.#options.timers.clearTimeout(handle);
    if (which === 'ping') this.#pingTimer = undefined;
    else this.#deadlineTimer = undefined;
  }
}
