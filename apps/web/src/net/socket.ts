/**
 * The reconnecting socket: one WebSocket at a time to the chat endpoint, and
 * what it takes to keep one (docs/protocol.md "Reconnect" and "Heartbeat"): when
 * to try again (retryPlan.ts: backoff, 1013, the restart hint), asking
 * /readyz while it waits (readyProbe.ts), the browser's online, offline and
 * visibility signals, a handshake timeout, and the app-level heartbeat once
 * the session is up.
 *
 * It knows the link, not the chat: no rooms, messages or store. The protocol
 * client above it (ChatClient) says hello when the socket opens, calls `ready`
 * when the server welcomed it, and hears frames, status and round trips
 * through the handlers it passed in. The heartbeat's ping and pong are the
 * only frames it reads or writes itself.
 *
 * Every WebSocket it opens gets handlers that first check that it is still the
 * current one: a replaced socket (dead link, rename, stop) may still fire
 * `message` or `close` long after, and those must change nothing.
 */
import type { ClientMessage } from '@tether/protocol';
import { CLOSE_CODES } from '@tether/protocol/constants';

import type { ConnectionStatus } from '../state/types';
import { fatalCloseReason } from './backoff';
import { SOCKET_OPEN } from './env';
import type { Clock, SocketLike, TimerHandle, Timers } from './env';
import { decodeServerFrame, encodeClientFrame } from './frames';
import { Heartbeat } from './heartbeat';
import type { ReconnectingSocketOptions, SocketHandlers } from './options';
import { READY_PROBE_AFTER_MS, ReadyProbe } from './readyProbe';
import { RetryPlan } from './retryPlan';

/**
 * Close code of sockets the client drops itself (dead link, handshake timeout,
 * rename, "Retry now", the browser going offline). Not 1000: the server
 * announces `left` at once only on a clean close, and a reconnect must not
 * show as left-and-joined.
 */
export const CLIENT_RECONNECT_CLOSE = 4000;

/**
 * - `closed`: no WebSocket (idle, waiting to retry, offline, failed, stopped);
 * - `connecting`: a WebSocket is opening;
 * - `open`: it is open and the session not yet established (hello in flight);
 * - `ready`: the server welcomed the session; the heartbeat runs.
 */
export type SocketPhase = 'closed' | 'connecting' | 'open' | 'ready';

export class ReconnectingSocket {
  readonly #options: ReconnectingSocketOptions;
  readonly #clock: Clock;
  readonly #timers: Timers;
  readonly #handlers: SocketHandlers;

  #running = false;
  #unsubscribeEnvironment: (() => void) | null = null;
  #socket: SocketLike | null = null;
  #phase: SocketPhase = 'closed';
  #status: ConnectionStatus = { kind: 'idle' };
  #openedAt: number | null = null;
  readonly #plan: RetryPlan;
  readonly #probe: ReadyProbe;
  #retryTimer: TimerHandle | undefined;
  #handshakeTimer: TimerHandle | undefined;
  #heartbeat: Heartbeat | null = null;

  constructor(options: ReconnectingSocketOptions) {
    this.#options = options;
    this.#clock = options.clock;
    this.#timers = options.timers;
    this.#handlers = options.handlers;
    this.#plan = new RetryPlan(options.clock, options.random);
    const { readyUrl: url, fetch, clock, timers, random } = options;
    this.#probe = new ReadyProbe({
      url,
      fetch,
      clock,
      timers,
      random,
      onReady: () => this.#connectIfWaiting(),
    });
  }

  get running(): boolean {
    return this.#running;
  }

  get phase(): SocketPhase {
    return this.#phase;
  }

  get status(): ConnectionStatus {
    return this.#status;
  }

  // ---------------------------------------------------------------- lifecycle

  /** Connects, and keeps reconnecting until `stop`. Safe to call again after `stop`. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#unsubscribeEnvironment = this.#options.environment.subscribe({
      online: () => this.#connectIfWaiting(),
      offline: () => this.#onOffline(),
      visible: () => this.#onVisible(),
    });
    this.connect();
  }

  /** Closes cleanly (the others in a room see us leave at once) and stops reconnecting. */
  stop(): void {
    if (!this.#running) return;
    this.#running = false;
    this.#unsubscribeEnvironment?.();
    this.#unsubscribeEnvironment = null;
    this.disconnect(CLOSE_CODES.NORMAL, 'stop');
  }

  /**
   * Closes the WebSocket and cancels a pending retry, but stays started: the
   * next `connect` opens a new one (sign-out, until a name is chosen again).
   */
  disconnect(code: number, reason: string): void {
    this.#clearRetryTimer();
    this.#release(code, reason);
    this.#plan.reset();
    this.#setStatus({ kind: 'idle' });
  }

  /**
   * Connects now, counting attempts from the start, unless there is nothing
   * to connect with (idle) or the browser is offline (then on `online`).
   */
  connect(): void {
    if (!this.#running) return;
    this.#plan.reset();
    this.#connectOrWait();
  }

  /** Drops the current WebSocket, if any, and opens a new one at once (a rename, "Retry now"). */
  reconnect(reason: string): void {
    if (!this.#running) return;
    this.#release(CLIENT_RECONNECT_CLOSE, reason);
    this.#open();
  }

  /** "Retry now": a live session checks its link at once; anything else reconnects without waiting. */
  retryNow(): void {
    if (!this.#running) return;
    if (this.#phase === 'ready') this.pingNow();
    else this.reconnect('retry');
  }

  // ------------------------------------------------------------------ session

  /** Sends on the current WebSocket; false when there is none open or it refused. */
  send(frame: ClientMessage): boolean {
    const socket = this.#socket;
    if (socket?.readyState !== SOCKET_OPEN) return false;
    try {
      socket.send(encodeClientFrame(frame));
      return true;
    } catch (error) {
      this.#options.log.warn('tether: send failed', error);
      return false;
    }
  }

  /** A hello went out: its answer is due within the handshake timeout. */
  startHandshakeTimer(): void {
    this.clearHandshakeTimer();
    this.#handshakeTimer = this.#timers.setTimeout(() => {
      this.#handshakeTimer = undefined;
      this.#drop('handshake timeout');
    }, this.#options.handshakeTimeoutMs);
  }

  /**
   * Nothing is due from the server: the session was welcomed, or waits for the
   * person to choose a name (the server then closes in its own time, 4408).
   */
  clearHandshakeTimer(): void {
    if (this.#handshakeTimer === undefined) return;
    this.#timers.clearTimeout(this.#handshakeTimer);
    this.#handshakeTimer = undefined;
  }

  /** The server welcomed the session: the link is open, watched by a heartbeat at its settings. */
  ready(heartbeat: { intervalMs: number; timeoutMs: number }): void {
    this.clearHandshakeTimer();
    this.#plan.welcomed();
    this.#phase = 'ready';
    this.#setStatus({ kind: 'open', since: this.#clock.now() });
    this.#heartbeat?.stop();
    this.#heartbeat = new Heartbeat({
      intervalMs: heartbeat.intervalMs,
      timeoutMs: heartbeat.timeoutMs,
      clock: this.#clock,
      timers: this.#timers,
      sendPing: (t) => this.send({ type: 'ping', t }),
      onDead: () => this.#drop('heartbeat timeout'),
    });
    this.#heartbeat.start();
  }

  /** Checks the link now: no frame within the heartbeat's timeoutMs and it is dropped. */
  pingNow(): void {
    this.#heartbeat?.pingNow();
  }

  /** The server refused us in a frame ahead of its fatal close (unsupported_version): say so now. */
  reportFailure(reason: string, code: number): void {
    this.#setStatus({ kind: 'failed', reason, code });
  }

  // --------------------------------------------------------------- connection

  #connectOrWait(): void {
    if (!this.#options.canConnect()) this.#setStatus({ kind: 'idle' });
    else if (!this.#options.environment.isOnline()) this.#setStatus({ kind: 'offline' });
    else this.#open();
  }

  #open(): void {
    this.#clearRetryTimer();
    if (!this.#running) return;
    if (!this.#options.canConnect()) {
      this.#setStatus({ kind: 'idle' });
      return;
    }
    const Socket = this.#options.WebSocket ?? globalThis.WebSocket;
    let socket: SocketLike;
    try {
      socket = new Socket(this.#options.url);
    } catch (error) {
      // Only a malformed URL throws here; retrying would not fix it.
      this.#options.log.warn('tether: cannot open the WebSocket', error);
      this.#setStatus({ kind: 'failed', reason: 'invalid_url' });
      return;
    }
    this.#socket = socket;
    this.#openedAt = null;
    this.#phase = 'connecting';
    this.#setStatus({ kind: 'connecting', attempt: this.#plan.attempt, ...this.#restarting() });
    this.startHandshakeTimer();

    socket.onopen = () => {
      if (socket !== this.#socket) return;
      this.#openedAt = this.#clock.now();
      this.#phase = 'open';
      this.#handlers.open();
    };
    socket.onmessage = (event) => {
      if (socket !== this.#socket) return;
      this.#onData(event.data);
    };
    socket.onclose = (event) => {
      if (socket !== this.#socket) return;
      this.#socket = null;
      this.#endConnection();
      this.#afterClose(event.code, event.reason);
    };
    // An error is always followed by `close`, which decides what happens next.
    socket.onerror = null;
  }

  #onData(data: unknown): void {
    // Any frame proves the link alive, whatever it holds.
    this.#heartbeat?.received();
    const frame = decodeServerFrame(data);
    if (!frame) {
      this.#options.log.warn('tether: ignored a frame that is not a server message');
      return;
    }
    if (frame.type === 'pong') {
      const rtt = this.#heartbeat?.pong(frame.t) ?? null;
      if (rtt !== null) this.#handlers.rtt(rtt);
      return;
    }
    this.#handlers.frame(frame);
  }

  /** Forgets the current WebSocket, so its late events are ignored, and closes it. */
  #release(code: number, reason: string): void {
    const socket = this.#socket;
    this.#socket = null;
    if (!socket) return;
    this.#endConnection();
    try {
      socket.close(code, reason);
    } catch (error) {
      this.#options.log.warn('tether: closing the WebSocket failed', error);
    }
  }

  #endConnection(): void {
    this.#heartbeat?.stop();
    this.#heartbeat = null;
    this.clearHandshakeTimer();
    this.#phase = 'closed';
    this.#handlers.close();
  }

  /** How long the connection that ended stayed up counts toward the backoff (see RetryPlan.ended). */
  #ended(): void {
    this.#plan.ended(this.#openedAt);
    this.#openedAt = null;
  }

  /** The link is judged dead (heartbeat, handshake timeout): drop it and reconnect with backoff. */
  #drop(reason: string): void {
    this.#release(CLIENT_RECONNECT_CLOSE, reason);
    this.#afterClose(CLIENT_RECONNECT_CLOSE, reason);
  }

  /** What follows the end of a connection: a retry after a delay, or a wait for something else. */
  #afterClose(code: number, reason: string): void {
    this.#ended();
    if (!this.#running) return;

    const fatal = fatalCloseReason(code, reason);
    if (fatal !== null) {
      this.#setStatus({ kind: 'failed', reason: fatal, code });
      return;
    }
    if (!this.#options.canConnect()) {
      this.#setStatus({ kind: 'idle' });
      return;
    }
    if (!this.#options.environment.isOnline()) {
      this.#setStatus({ kind: 'offline' });
      return;
    }
    this.#scheduleRetry(this.#plan.next(code, reason));
  }

  /**
   * Waits `delay`, then tries. A long wait asks /readyz meanwhile (see
   * ReadyProbe), unless the plan says a probe must not cut it short.
   */
  #scheduleRetry(delay: number): void {
    this.#clearRetryTimer();
    this.#setStatus({
      kind: 'reconnecting',
      attempt: this.#plan.attempt,
      retryAt: this.#clock.now() + delay,
      ...this.#restarting(),
    });
    this.#retryTimer = this.#timers.setTimeout(() => {
      this.#retryTimer = undefined;
      this.#open();
    }, delay);
    if (delay > READY_PROBE_AFTER_MS && this.#plan.mayProbe && this.#options.environment.isOnline()) {
      this.#probe.start();
    }
  }

  /** The wait is over (an attempt, offline, stopped): so is probing. */
  #clearRetryTimer(): void {
    this.#probe.stop();
    if (this.#retryTimer === undefined) return;
    this.#timers.clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  /** The status's mark while the attempts follow a restart hint. */
  #restarting(): { restarting?: true } {
    return this.#plan.restarting ? { restarting: true } : {};
  }

  // -------------------------------------------------------------- environment

  /**
   * Skips the wait when one is pending: the network is back or the page is
   * looked at again. A server that said 1013 (at capacity) still gets its
   * pause: every client of a busy server sees `visible` and `online` too.
   */
  #connectIfWaiting(): void {
    if (!this.#running || this.#socket) return;
    const { kind } = this.#status;
    if (kind !== 'reconnecting' && kind !== 'offline') return;
    const wait = this.#plan.hold;
    if (wait <= 0) this.#open();
    else if (this.#retryTimer === undefined) this.#scheduleRetry(wait);
  }

  /**
   * The browser says the network is gone: show it at once, drop the socket
   * (4000, so the others see no departure if we are back within the grace
   * period) and wait for `online`. A browser that is wrong about it (a VPN, a
   * flaky driver) costs a reconnect: "Retry now" and the page becoming
   * visible still try. A link that dies without the event is the
   * heartbeat's to find.
   */
  #onOffline(): void {
    const { kind } = this.#status;
    if (kind === 'idle' || kind === 'failed' || kind === 'offline') return;
    this.#clearRetryTimer();
    this.#ended();
    this.#release(CLIENT_RECONNECT_CLOSE, 'offline');
    this.#setStatus({ kind: 'offline' });
  }

  #onVisible(): void {
    // A socket that died while the machine slept is found within timeoutMs.
    if (this.#phase === 'ready') this.pingNow();
    else this.#connectIfWaiting();
  }

  #setStatus(status: ConnectionStatus): void {
    this.#status = status;
    this.#handlers.status(status);
  }
}
