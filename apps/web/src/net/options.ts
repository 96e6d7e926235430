/**
 * What a `ChatClient` is built from, each with its default; what its
 * `ReconnectingSocket` is built from (the client passes all of it); and the
 * settings that are the client's own: the server announces its heartbeat and
 * (since `welcome.limits`) its send rate, but not its hello timeout.
 */
import type { WelcomeLimits } from '@tether/protocol';

import type { ChatStateStore } from '../state/store';
import type { ConnectionStatus } from '../state/types';
import type {
  BrowserEnvironment,
  Clock,
  Fetch,
  KeyValueStorage,
  Logger,
  SocketConstructor,
  Timers,
} from './env';
import type { SessionFrame } from './frames';
import type { RandomValues } from './ids';

/**
 * How long a socket may go without `welcome` before the client drops it and
 * reconnects. The server's default hello timeout (10 s, then it closes with
 * 4408) plus one heartbeat timeout (10 s) of slack: a live server always
 * answers or closes first, and only a link that died silently during the
 * handshake runs into this.
 */
export const HANDSHAKE_TIMEOUT_MS = 20_000;

/**
 * The send pace when `welcome` carries no `limits` (a server from before
 * them): the per-user rate a server has by default, 10 a second with bursts
 * of 20 (docs/protocol.md, "welcome"). A server set stricter answers the
 * excess with `rate_limited`, and the client pauses and resends.
 */
export const FALLBACK_SEND_LIMITS: Readonly<WelcomeLimits> = { sendsPerSec: 10, burst: 20 };

/** After `rate_limited`, nothing is sent for this long (plus up to 500 ms of jitter). */
export const RATE_LIMIT_RETRY_MS = 1000;

export interface ChatClientOptions {
  /** The WebSocket endpoint, `ws(s)://host/ws` (see `socketUrl`). */
  url: string;
  /** @default createChatStateStore() */
  store?: ChatStateStore;
  /** Where the session, rooms, outbox and recent messages survive a reload; null keeps nothing. @default localStorage */
  storage?: KeyValueStorage | null;
  /** @default globalThis.WebSocket */
  WebSocket?: SocketConstructor;
  /** For GET /readyz while waiting to reconnect. @default globalThis.fetch, looked up at each probe */
  fetch?: Fetch;
  /**
   * The monotonic clock every duration is measured on (heartbeat, backoff,
   * pacing, typing expiry). @default performance.now
   */
  clock?: Clock;
  /** The wall clock, for timestamps kept or shown (a queued message's time). @default Date.now */
  wallClock?: Clock;
  /** @default globalThis.setTimeout / clearTimeout, looked up at call time */
  timers?: Timers;
  /** The backoff and retry jitter, in [0, 1). @default Math.random */
  random?: () => number;
  /** For message ids. @default crypto.getRandomValues */
  getRandomValues?: RandomValues;
  /** Online/offline and page visibility. @default browserEnvironment() */
  environment?: BrowserEnvironment;
  /** @default console */
  log?: Logger;
  /** A socket without `welcome` this long after it was created is dropped. @default HANDSHAKE_TIMEOUT_MS (20000) */
  handshakeTimeoutMs?: number;
  /** After `rate_limited`, nothing is sent for this long, then the send is retried. @default RATE_LIMIT_RETRY_MS (1000) */
  rateLimitRetryMs?: number;
  /** Most messages in the outbox. @default OUTBOX_LIMIT (500) */
  outboxLimit?: number;
}

export interface SocketHandlers {
  /** A new WebSocket opened: the session says hello. */
  open(): void;
  /** A frame from the current WebSocket. */
  frame(frame: SessionFrame): void;
  /**
   * The current WebSocket is gone, closed by either side: whatever was tied to
   * it is void. Comes before the `status` that says what happens next.
   */
  close(): void;
  status(status: ConnectionStatus): void;
  /** Round trip of a heartbeat ping, in ms. */
  rtt(ms: number): void;
}

export interface ReconnectingSocketOptions {
  /** The WebSocket endpoint, `ws(s)://host/ws`. */
  url: string;
  /** @default globalThis.WebSocket, looked up at each connect */
  WebSocket?: SocketConstructor | undefined;
  /** The server's readiness route, asked while waiting to reconnect (see `readyUrl`). */
  readyUrl: string;
  /** The fetch to ask it with, looked up at each probe; undefined: no probing. */
  fetch: () => Fetch | undefined;
  /** Monotonic (performance.now): deadlines, backoff, lateness of timers. */
  clock: Clock;
  timers: Timers;
  /** The backoff jitter, in [0, 1). */
  random: () => number;
  environment: BrowserEnvironment;
  log: Logger;
  /** A WebSocket not `ready` this long after it was created, or after `startHandshakeTimer`, is dropped. */
  handshakeTimeoutMs: number;
  /**
   * Whether there is anything to connect with. False while the session has no
   * name to say hello with: the socket then stays idle, and does not retry,
   * until `connect` is called.
   */
  canConnect(): boolean;
  handlers: SocketHandlers;
}
