/**
 * The reconnecting socket: one WebSocket at a time to the chat endpoint, and
 * what it takes to keep one (docs/protocol.md "Reconnect" and "Heartbeat"): backoff
 * with full jitter, the browser's online, offline and visibility signals, a
 * handshake timeout, and the app-level heartbeat once the session is up.
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
import { CLOSE_CODES, RECONNECT } from '@tether/protocol/constants';

import type { ConnectionStatus } from '../state/types';
import { fatalCloseReason, reconnectDelay } from './backoff';
import { SOCKET_OPEN } from './env';
import type { Clock, SocketLike, TimerHandle, Timers } from './env';
import { decodeServerFrame, encodeClientFrame } from './frames';
import { Heartbeat } from './heartbeat';
import type { ReconnectingSocketOptions, SocketHandlers } from './options';

/**
 * Close code of sockets the client drops itself (dead link, handshake timeout,
 * rename, "Retry now"). Not 1000: the server announces `left` at once only on
 * a clean close, and a reconnect must not show as left-and-joined.
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
  /** Failed attempts since the last connection that stayed up RESET_AFTER_MS. */
  #attempt = 0;
  /** After a 1013, no automatic attempt before this time, not even on `online` or `visible`. */
  #notBefore = 0;
  #retryTimer: TimerHandle | undefined;
  #handshakeTimer: TimerHandle | undefined;
  #heartbeat: Heartbeat | null = null;

  constructor(options: ReconnectingSocketOptions) {
    this.#options = options;
    this.#clock = options.clock;
    this.#timers = options.timers;
    this.#handlers = options.handlers;
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
      online: () => this.#onOnline(),
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
    this.#attempt = 0;
    this.#setStatus({ kind: 'idle' });
  }

  /**
   * Connects now, counting attempts from the start, unless there is nothing
   * to connect with (idle) or the browser is offline (then on `online`).
   */
  connect(): void {
    if (!this.#running) return;
    this.#attempt = 0;
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
    this.#setStatus({ kind: 'connecting', attempt: this.#attempt });
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

  /** The link is judged dead (heartbeat, handshake timeout): drop it and reconnect with backoff. */
  #drop(reason: string): void {
    this.#release(CLIENT_RECONNECT_CLOSE, reason);
    this.#afterClose(CLIENT_RECONNECT_CLOSE, reason);
  }

  /** What follows the end of a connection: a retry after a delay, or a wait for something else. */
  #afterClose(code: number, reason: string): void {
    const openedAt = this.#openedAt;
    this.#openedAt = null;
    if (!this.#running) return;
    // Only a connection that stayed up resets the backoff, so a server that
    // accepts and then drops at once keeps being backed off.
    if (openedAt !== null && this.#clock.now() - openedAt >= RECONNECT.RESET_AFTER_MS) this.#attempt = 0;

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
    this.#attempt += 1;
    this.#scheduleRetry(this.#retryDelay(code));
  }

  /**
   * The wait before the next attempt, the one place that decides it: the
   * backoff ladder, and for a server at capacity (1013) a floor that `online`
   * and `visible` do not cut short either.
   */
  #retryDelay(code: number): number {
    const delay = reconnectDelay(this.#attempt, code, this.#options.random);
    if (code === CLOSE_CODES.TRY_AGAIN_LATER) this.#notBefore = this.#clock.now() + delay;
    return delay;
  }

  #scheduleRetry(delay: number): void {
    this.#clearRetryTimer();
    this.#setStatus({ kind: 'reconnecting', attempt: this.#attempt, retryAt: this.#clock.now() + delay });
    this.#retryTimer = this.#timers.setTimeout(() => {
      this.#retryTimer = undefined;
      this.#open();
    }, delay);
  }

  #clearRetryTimer(): void {
    if (this.#retryTimer === undefined) return;
    this.#timers.clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
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
    const wait = this.#notBefore - this.#clock.now();
    if (wait <= 0) this.#open();
    else if (this.#retryTimer === undefined) this.#scheduleRetry(wait);
  }

  #onOnline(): void {
    this.#connectIfWaiting();
  }

  #onOffline(): void {
    if (this.#phase === 'ready') {
      // Often true, sometimes not (a VPN, a flaky driver): let the link answer.
      this.pingNow();
    } else if (!this.#socket && this.#retryTimer !== undefined) {
      this.#clearRetryTimer();
      this.#setStatus({ kind: 'offline' });
    }
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
