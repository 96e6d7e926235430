/**
 * How a benchmark client waits before it tries again, per dialect, as a real
 * client of that server would:
 *
 * - tether: docs/protocol.md §9 Reconnect. Full-jitter backoff: before the
 *   n-th attempt in a row, a random time in [0, min(10 s, 0.5 s × 2^(n-1))];
 *   the count resets once a connection stayed up 10 s; a 1013 waits at least
 *   5 s; 1002, 1003, 1008 and 1009 are not retried. After a 1001 whose reason
 *   is a restart hint (`parseRestartHint`), the first attempt waits
 *   `retryInMs` + random × `spreadMs` instead, and one after a refusal a short
 *   doubling step (`restartRetryDelay`), until a connection is welcomed, for
 *   at most RECONNECT.RESTART_PACE_MAX_MS; then the ladder again. A wait of the ladder
 *   longer than RECONNECT.READY_PROBE_INTERVAL_MS probes `GET /readyz` (see
 *   `waitThenRetry`); a wait paced by a hint does not, so the spread holds.
 * - socketio: socket.io-client 4's Manager with its defaults
 *   (`reconnectionDelay` 1000, `reconnectionDelayMax` 5000,
 *   `randomizationFactor` 0.5, unlimited attempts): backo2's
 *   `min(1000 × 2^k ± rand × 0.5 × 1000 × 2^k, 5000)`, k = failed attempts
 *   since the Engine.IO connection last opened (a close of an open
 *   connection resets k to 0, so the first retry waits 0.5–1.5 s).
 * - naive: the tutorial room's clients have no policy of their own; they get
 *   Tether's ladder (without hint or probe: that server has neither).
 *
 * Pure apart from the clock and the random source, which are parameters.
 */
import { CLOSE_CODES, FATAL_CLOSE_CODES, RECONNECT } from '@tether/protocol/constants';
import { parseRestartHint, restartRetryDelay, type RestartHint } from '@tether/protocol/rules';

import type { DialectName } from './dialect.js';

/** What to do after a close. */
export interface Wait {
  delayMs: number;
  /** Ask GET /readyz while waiting, and try at once when it answers 200. */
  probeReady: boolean;
  /** The wait follows a restart hint's pace. */
  paced: boolean;
}

export interface Close {
  code: number;
  reason: string;
  /** The WebSocket handshake had completed. */
  opened: boolean;
}

export interface ReconnectPolicy {
  /**
   * A connection counts as made: welcomed (tether), Engine.IO open
   * (socketio), upgraded (naive).
   */
  connected(now: number): void;
  /** The wait before the next attempt, or undefined when the close is final. */
  closed(close: Close, now: number): Wait | undefined;
}

export type Random = () => number;

/** Full jitter over [0, min(MAX_DELAY_MS, BASE_DELAY_MS × 2^(attempt-1))]. */
export function ladderDelay(attempt: number, random: Random = Math.random): number {
  const ceiling = Math.min(RECONNECT.MAX_DELAY_MS, RECONNECT.BASE_DELAY_MS * 2 ** Math.max(0, attempt - 1));
  return random() * ceiling;
}

/** The protocol's policy (tether), or its ladder alone (naive). */
export class ProtocolReconnect implements ReconnectPolicy {
  /** Attempts since the last connection that stayed up RESET_AFTER_MS. */
  attempts = 0;
  private upSince: number | undefined;
  private pace: { hint: RestartHint; until: number; tries: number } | undefined;

  constructor(
    /** Read restart hints and probe /readyz (tether); naive does neither. */
    private readonly tether: boolean,
    private readonly random: Random = Math.random,
  ) {}

  connected(now: number): void {
    this.upSince = now;
    // The hint's pace holds until a connection is welcomed.
    this.pace = undefined;
  }

  closed(close: Close, now: number): Wait | undefined {
    if (this.upSince !== undefined && now - this.upSince >= RECONNECT.RESET_AFTER_MS) this.attempts = 0;
    this.upSince = undefined;
    if (FATAL_CLOSE_CODES.includes(close.code)) return undefined;
    if (this.tether && close.code === CLOSE_CODES.GOING_AWAY) {
      const hint = parseRestartHint(close.reason);
      if (hint) this.pace = { hint, until: now + RECONNECT.RESTART_PACE_MAX_MS, tries: 0 };
    }
    if (this.pace && now < this.pace.until) {
      const delayMs = restartRetryDelay(this.pace.hint, this.pace.tries++, this.random);
      return { delayMs, probeReady: false, paced: true };
    }
    this.pace = undefined;
    this.attempts++;
    let delayMs = ladderDelay(this.attempts, this.random);
    if (close.code === CLOSE_CODES.TRY_AGAIN_LATER) {
      delayMs = Math.max(delayMs, RECONNECT.TRY_AGAIN_LATER_MIN_MS);
    }
    return {
      delayMs,
      probeReady: this.tether && delayMs > RECONNECT.READY_PROBE_INTERVAL_MS,
      paced: false,
    };
  }
}

/** socket.io-client 4's defaults (Manager options). */
export const SOCKET_IO_CLIENT = {
  reconnectionDelay: 1000,
  reconnectionDelayMax: 5000,
  randomizationFactor: 0.5,
} as const;

/** socket.io-client's Manager: backo2 with its defaults, reset when a connection opens or closes. */
export class SocketIoReconnect implements ReconnectPolicy {
  /** backo2's `attempts`: failed attempts since the connection last opened. */
  attempts = 0;

  constructor(private readonly random: Random = Math.random) {}

  connected(): void {
    // Manager.onreconnect: backoff.reset().
    this.attempts = 0;
  }

  closed(close: Close): Wait {
    // Manager.onclose resets the backoff when an open connection closes; a
    // failed attempt (no Engine.IO open) keeps climbing.
    if (close.opened) this.attempts = 0;
    return { delayMs: this.duration(), probeReady: false, paced: false };
  }

  /** backo2's Backoff.duration(). */
  private duration(): number {
    const { reconnectionDelay, reconnectionDelayMax, randomizationFactor } = SOCKET_IO_CLIENT;
    let ms = reconnectionDelay * 2 ** this.attempts++;
    const rand = this.random();
    const deviation = Math.floor(rand * randomizationFactor * ms);
    ms = (Math.floor(rand * 10) & 1) === 0 ? ms - deviation : ms + deviation;
    return Math.min(ms, reconnectionDelayMax) | 0;
  }
}

export function reconnectPolicy(dialect: DialectName, random: Random = Math.random): ReconnectPolicy {
  switch (dialect) {
    case 'tether':
      return new ProtocolReconnect(true, random);
    case 'naive':
      return new ProtocolReconnect(false, random);
    case 'socketio':
      return new SocketIoReconnect(random);
  }
}

export interface Timers {
  setTimeout: (fn: () => void, ms: number) => NodeJS.Timeout;
  clearTimeout: (timer: NodeJS.Timeout) => void;
}

const REAL_TIMERS: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (timer) => clearTimeout(timer),
};

/** A wait in progress; `cancel` stops it (and its probes) without retrying. */
export interface PendingRetry {
  cancel(): void;
}

export interface ProbeCounters {
  /** GET /readyz sent. */
  probes: number;
  /** Of those, answered 200 (the attempt then went at once). */
  hits: number;
}

/**
 * Waits `wait.delayMs`, then calls `retry`. With `probeReady`, it asks
 * `probe()` (GET /readyz) every READY_PROBE_INTERVAL_MS during the wait, the
 * first one interval into it, and retries at once when a probe answers true.
 * `retry` runs once at most.
 */
export function waitThenRetry(
  wait: Wait,
  retry: () => void,
  probe: () => Promise<boolean>,
  counters: ProbeCounters = { probes: 0, hits: 0 },
  timers: Timers = REAL_TIMERS,
): PendingRetry {
  let done = false;
  let probeTimer: NodeJS.Timeout | undefined;
  const finish = (): void => {
    if (done) return;
    done = true;
    timers.clearTimeout(timer);
    if (probeTimer !== undefined) timers.clearTimeout(probeTimer);
    retry();
  };
  const timer = timers.setTimeout(finish, wait.delayMs);
  const scheduleProbe = (): void => {
    probeTimer = timers.setTimeout(() => {
      probeTimer = undefined;
      if (done) return;
      counters.probes++;
      void probe().then(
        (ready) => {
          if (done) return;
          if (ready) {
            counters.hits++;
            finish();
          } else scheduleProbe();
        },
        () => {
          if (!done) scheduleProbe();
        },
      );
    }, RECONNECT.READY_PROBE_INTERVAL_MS);
  };
  if (wait.probeReady && wait.delayMs > RECONNECT.READY_PROBE_INTERVAL_MS) scheduleProbe();
  return {
    cancel: () => {
      done = true;
      timers.clearTimeout(timer);
      if (probeTimer !== undefined) timers.clearTimeout(probeTimer);
    },
  };
}
