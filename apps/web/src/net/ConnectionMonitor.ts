/**
 * Watches whether the chat server's WebSocket endpoint can be reached, for the
 * connection indicator on the placeholder page. It never says `hello`: it only
 * opens the socket and reopens it when it closes. The real client (session,
 * heartbeat, resume, outbox) comes later; this class has no React in it so
 * that client can absorb or replace it without touching components.
 */
import { CLOSE_CODES, FATAL_CLOSE_CODES, RECONNECT, WS_PATH } from '@tether/protocol/constants';

export type ConnectionStatus = 'connecting' | 'connected' | 'disconnected';

/** The chat endpoint on the origin that served the page (PROTOCOL.md, "Transport"). */
export function socketUrl(page: Pick<Location, 'protocol' | 'host'>): string {
  return `${page.protocol === 'https:' ? 'wss' : 'ws'}://${page.host}${WS_PATH}`;
}

/**
 * Delay before reconnect attempt `attempt` (1, 2, …): full jitter over
 * `[0, min(MAX_DELAY_MS, BASE_DELAY_MS × 2^(attempt-1))]`, so clients that lost
 * the server together do not all come back in the same instant.
 */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(RECONNECT.MAX_DELAY_MS, RECONNECT.BASE_DELAY_MS * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

export interface ConnectionMonitorOptions {
  url: string;
  /** @default (url) => new WebSocket(url) */
  createSocket?: (url: string) => WebSocket;
  /** @default Math.random */
  random?: () => number;
  /** @default Date.now */
  now?: () => number;
}

export class ConnectionMonitor {
  readonly #url: string;
  readonly #createSocket: (url: string) => WebSocket;
  readonly #random: () => number;
  readonly #now: () => number;
  readonly #listeners = new Set<() => void>();
  #status: ConnectionStatus = 'connecting';
  #socket: WebSocket | null = null;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Failed attempts since the last connection that stayed up long enough. */
  #attempt = 0;
  #running = false;

  constructor(options: ConnectionMonitorOptions) {
    this.#url = options.url;
    this.#createSocket = options.createSocket ?? ((url) => new WebSocket(url));
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? Date.now;
  }

  /** Arrow properties so React can take them unbound (`useSyncExternalStore`). */
  readonly getStatus = (): ConnectionStatus => this.#status;

  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  };

  start(): void {
    if (this.#running) return;
    this.#running = true;
    window.addEventListener('online', this.#retryNow);
    document.addEventListener('visibilitychange', this.#onVisibilityChange);
    this.#connect();
  }

  /** Safe to call more than once; `start` may follow (React StrictMode does both). */
  stop(): void {
    if (!this.#running) return;
    this.#running = false;
    window.removeEventListener('online', this.#retryNow);
    document.removeEventListener('visibilitychange', this.#onVisibilityChange);
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    const socket = this.#socket;
    // Cleared first, so the close event of this socket is recognised as stale.
    this.#socket = null;
    socket?.close(CLOSE_CODES.NORMAL);
    this.#attempt = 0;
    this.#setStatus('connecting');
  }

  #connect(): void {
    this.#retryTimer = undefined;
    let socket: WebSocket;
    try {
      socket = this.#createSocket(this.#url);
    } catch {
      // Only a malformed URL throws here; retrying would not fix it.
      this.#setStatus('disconnected');
      return;
    }
    this.#socket = socket;
    let openedAt: number | undefined;

    // Events of a socket that was replaced or stopped are ignored: it may still
    // fire `close` after a newer socket has opened.
    socket.addEventListener('open', () => {
      if (socket !== this.#socket) return;
      openedAt = this.#now();
      this.#setStatus('connected');
    });
    socket.addEventListener('close', (event) => {
      if (socket !== this.#socket) return;
      this.#socket = null;
      this.#onClose(event.code, openedAt);
    });
  }

  #onClose(code: number, openedAt: number | undefined): void {
    // Only a connection that stayed up resets the backoff, so a server that
    // accepts and then drops at once keeps being backed off.
    if (openedAt !== undefined && this.#now() - openedAt >= RECONNECT.RESET_AFTER_MS) this.#attempt = 0;

    if (openedAt !== undefined && code === CLOSE_CODES.HELLO_TIMEOUT) {
      // This page never says hello, so the server closes it after
      // HELLO_TIMEOUT_MS by design. The server answered, so it is reachable:
      // reopen at once and do not flash "Disconnected".
      this.#connect();
      return;
    }

    this.#setStatus('disconnected');
    // The server refused this client for good; retrying in a loop would only
    // repeat the refusal (PROTOCOL.md, "Reconnect").
    if (FATAL_CLOSE_CODES.includes(code)) return;

    this.#attempt += 1;
    let delay = backoffDelay(this.#attempt, this.#random);
    if (code === CLOSE_CODES.TRY_AGAIN_LATER) delay = Math.max(delay, RECONNECT.TRY_AGAIN_LATER_MIN_MS);
    // The status stays "disconnected" during later attempts: flipping to
    // "connecting" on every retry would only make the indicator flicker.
    this.#retryTimer = setTimeout(() => {
      this.#connect();
    }, delay);
  }

  /** The network came back or the page became visible: skip the wait. */
  readonly #retryNow = (): void => {
    if (this.#retryTimer === undefined) return;
    clearTimeout(this.#retryTimer);
    this.#connect();
  };

  readonly #onVisibilityChange = (): void => {
    if (document.visibilityState === 'visible') this.#retryNow();
  };

  #setStatus(status: ConnectionStatus): void {
    if (status === this.#status) return;
    this.#status = status;
    for (const listener of this.#listeners) listener();
  }
}
