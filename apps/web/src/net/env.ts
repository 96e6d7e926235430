/**
 * What the client and its socket need from the outside world, as small interfaces. Tests
 * pass fakes; the defaults below read the browser globals at call time (not at
 * import), so `vi.useFakeTimers()` installed later still takes effect.
 */
import { WS_PATH } from '@tether/protocol/constants';

/**
 * A source of milliseconds. The client keeps two (docs/architecture.md, "The
 * web client"): a monotonic one (`monotonicClock`, performance.now) for every
 * duration and deadline (heartbeat, backoff, restart pace, pacing of sends,
 * typing expiry, probes), which neither jumps nor goes back when someone sets
 * the computer's time or it syncs it; and the wall clock (`wallClock`,
 * Date.now) only for moments that are kept or shown as dates.
 */
export interface Clock {
  now(): number;
}

/** Where the client reports what it ignored or could not do; `console` fits. */
export interface Logger {
  warn(message: string, ...details: unknown[]): void;
}

export type TimerHandle = ReturnType<typeof globalThis.setTimeout>;

export interface Timers {
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The part of `Storage` we use; localStorage fits. */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** The part of the browser's WebSocket we use. */
export interface SocketLike {
  readonly readyState: number;
  onopen: ((event: Event) => unknown) | null;
  onmessage: ((event: MessageEvent) => unknown) | null;
  onclose: ((event: CloseEvent) => unknown) | null;
  onerror: ((event: Event) => unknown) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type SocketConstructor = new (url: string) => SocketLike;

/** The part of `fetch` the readiness probe uses; the browser's fits. */
export type Fetch = (
  url: string,
  init: { cache: RequestCache; signal: AbortSignal },
) => Promise<{ readonly status: number }>;

/** `WebSocket.OPEN`, without touching the global (absent in some test setups). */
export const SOCKET_OPEN = 1;

export interface EnvironmentHandlers {
  online(): void;
  offline(): void;
  /** The page became visible. */
  visible(): void;
  /** The page is going away (reload, close, bfcache): last chance to write storage. */
  pagehide(): void;
}

/** Network and page-visibility signals. */
export interface BrowserEnvironment {
  isOnline(): boolean;
  isVisible(): boolean;
  /**
   * Each subscriber names the signals it cares about (the socket the network
   * and visibility, the client `pagehide`). Returns the function that
   * unsubscribes.
   */
  subscribe(handlers: Partial<EnvironmentHandlers>): () => void;
}

/** Milliseconds since the page started, never going back: for durations. Looked up at call time (fake timers). */
export const monotonicClock: Clock = { now: () => performance.now() };

/** Milliseconds since the Unix epoch: for timestamps kept or shown, never for durations. */
export const wallClock: Clock = { now: () => Date.now() };

export const systemTimers: Timers = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => {
    globalThis.clearTimeout(handle);
  },
};

/** `window` and `document`; where they are missing (a worker, SSR) it reports online and visible. */
export function browserEnvironment(): BrowserEnvironment {
  const win = typeof window === 'undefined' ? undefined : window;
  const doc = typeof document === 'undefined' ? undefined : document;
  return {
    isOnline: () => (typeof navigator === 'undefined' ? true : navigator.onLine),
    isVisible: () => doc?.visibilityState !== 'hidden',
    subscribe(handlers) {
      const online = () => handlers.online?.();
      const offline = () => handlers.offline?.();
      const pagehide = () => handlers.pagehide?.();
      const visibility = () => {
        if (doc?.visibilityState === 'visible') handlers.visible?.();
      };
      win?.addEventListener('online', online);
      win?.addEventListener('offline', offline);
      win?.addEventListener('pagehide', pagehide);
      doc?.addEventListener('visibilitychange', visibility);
      return () => {
        win?.removeEventListener('online', online);
        win?.removeEventListener('offline', offline);
        win?.removeEventListener('pagehide', pagehide);
        doc?.removeEventListener('visibilitychange', visibility);
      };
    },
  };
}

/** localStorage, or null where it is missing or refused (some private modes throw on access). */
export function browserStorage(): KeyValueStorage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

/** The browser's `fetch`, looked up at call time; undefined where there is none. */
export function systemFetch(): Fetch | undefined {
  return typeof globalThis.fetch === 'function' ? (url, init) => globalThis.fetch(url, init) : undefined;
}

/** The server's readiness route beside the chat endpoint: `ws://host/ws` → `http://host/readyz`. */
export function readyUrl(socketUrl: string): string {
  const url = new URL(socketUrl);
  url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
  url.pathname = '/readyz';
  url.search = '';
  return url.href;
}

/** The chat endpoint on the origin that served the page (docs/protocol.md, "Transport"). */
export function socketUrl(page: Pick<Location, 'protocol' | 'host'>): string {
  return `${page.protocol === 'https:' ? 'wss' : 'ws'}://${page.host}${WS_PATH}`;
}
