/**
 * Learning that the server is back (docs/protocol.md, "Reconnect"): while the
 * socket waits out a backoff of more than a second, GET /readyz now and then,
 * and try at once when it answers 200. After a crash the backoff ladder may
 * have climbed to 10 s; the probe brings everyone back within about a second
 * of the new process being ready instead.
 *
 * At most one probe per `intervalMs`, however often the socket starts and
 * stops waiting, and never two in flight. The first probe of a wait comes
 * after `afterMs` plus a random share of the interval: clients that lost the
 * server in the same instant (a crash drops them all at once) then ask, and
 * come back, spread over a second rather than in step.
 */
import { RECONNECT } from '@tether/protocol/constants';

import type { Clock, Fetch, TimerHandle, Timers } from './env';

/** A wait for the next attempt shorter than this is not worth asking /readyz about. */
export const READY_PROBE_AFTER_MS = 1000;

/** A /readyz that has not answered in this long is abandoned (a half-open link can hang a fetch). */
export const READY_PROBE_TIMEOUT_MS = 3000;

export interface ReadyProbeOptions {
  /** The server's readiness route, `http(s)://host/readyz`. */
  url: string;
  /** Looked up at each probe (so a test or a late polyfill takes effect); none: no probing. */
  fetch: () => Fetch | undefined;
  clock: Clock;
  timers: Timers;
  random: () => number;
  /** Least time between two probes. @default RECONNECT.READY_PROBE_INTERVAL_MS (1000) */
  intervalMs?: number;
  /** The first probe of a wait comes this long (plus jitter) into it. @default READY_PROBE_AFTER_MS (1000) */
  afterMs?: number;
  /** A probe that has not answered in this long is abandoned. @default READY_PROBE_TIMEOUT_MS (3000) */
  timeoutMs?: number;
  /** /readyz answered 200. */
  onReady(): void;
}

export class ReadyProbe {
  readonly #options: Required<ReadyProbeOptions>;
  #timer: TimerHandle | undefined;
  #inFlight: AbortController | null = null;
  #lastProbeAt = Number.NEGATIVE_INFINITY;
  #active = false;

  constructor(options: ReadyProbeOptions) {
    this.#options = {
      intervalMs: RECONNECT.READY_PROBE_INTERVAL_MS,
      afterMs: READY_PROBE_AFTER_MS,
      timeoutMs: READY_PROBE_TIMEOUT_MS,
      ...options,
    };
  }

  get active(): boolean {
    return this.#active;
  }

  /** The socket starts waiting: probe while it waits, if there is a fetch to probe with. */
  start(): void {
    if (this.#active || this.#options.fetch() === undefined) return;
    this.#active = true;
    const { afterMs, intervalMs, random } = this.#options;
    this.#schedule(afterMs + Math.floor(random() * intervalMs));
  }

  /** The wait is over (an attempt started, offline, stopped): no more probes, and none answers. */
  stop(): void {
    this.#active = false;
    if (this.#timer !== undefined) this.#options.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#inFlight?.abort();
    this.#inFlight = null;
  }

  #schedule(delay: number): void {
    // Never sooner than intervalMs after the previous probe, whichever wait it belonged to.
    const earliest = this.#lastProbeAt + this.#options.intervalMs - this.#options.clock.now();
    this.#timer = this.#options.timers.setTimeout(
      () => {
        this.#timer = undefined;
        void this.#probe();
      },
      Math.max(delay, earliest, 0),
    );
  }

  async #probe(): Promise<void> {
    const fetch = this.#options.fetch();
    if (!this.#active || this.#inFlight || !fetch) return;
    this.#lastProbeAt = this.#options.clock.now();
    const controller = new AbortController();
    this.#inFlight = controller;
    const timeout = this.#options.timers.setTimeout(() => controller.abort(), this.#options.timeoutMs);
    let ready = false;
    try {
      // no-store: a cached 200 from before the crash would prove nothing.
      const response = await fetch(this.#options.url, { cache: 'no-store', signal: controller.signal });
      ready = response.status === 200;
    } catch {
      // Refused, reset, aborted: the server is not back yet.
    } finally {
      this.#options.timers.clearTimeout(timeout);
    }
    // Stopped meanwhile (`stop` lets go of the request): this answer is for a wait that is over.
    if (this.#inFlight !== controller) return;
    this.#inFlight = null;
    if (ready) {
      this.stop();
      this.#options.onReady();
    } else {
      this.#schedule(this.#options.intervalMs);
    }
  }
}
