/**
 * Fakes for tests of the client: a WebSocket the test opens, closes and feeds,
 * an environment whose network and visibility the test flips, an in-memory
 * storage, and fake timers around each test. Not imported by the app.
 */
import type { ClientMessage, ClientMessageOf, ClientMessageType, ServerMessage } from '@tether/protocol';
import { afterEach, beforeEach, vi } from 'vitest';

import type { BrowserEnvironment, EnvironmentHandlers, Fetch, KeyValueStorage, SocketLike } from '../net/env';

export class FakeWebSocket implements SocketLike {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;

  readonly url: string;
  readyState: number = FakeWebSocket.CONNECTING;
  onopen: ((event: Event) => unknown) | null = null;
  onmessage: ((event: MessageEvent) => unknown) | null = null;
  onclose: ((event: CloseEvent) => unknown) | null = null;
  onerror: ((event: Event) => unknown) | null = null;
  /** Every frame the client sent, raw. */
  readonly sent: string[] = [];
  /** Set when the client called `close`. */
  closedByClient: { code: number | undefined; reason: string | undefined } | null = null;

  constructor(url: string) {
    this.url = url;
  }

  send(data: string): void {
    if (this.readyState !== FakeWebSocket.OPEN) throw new Error('FakeWebSocket: send while not open');
    this.sent.push(data);
  }

  /** A client close only starts the closing handshake; `finishClose` ends it. */
  close(code?: number, reason?: string): void {
    if (this.readyState >= FakeWebSocket.CLOSING) return;
    this.closedByClient = { code, reason };
    this.readyState = FakeWebSocket.CLOSING;
  }

  // ---- driven by the test, as the server or the network would

  open(): void {
    this.readyState = FakeWebSocket.OPEN;
    this.onopen?.(new Event('open'));
  }

  deliver(frame: ServerMessage | string): void {
    const data = typeof frame === 'string' ? frame : JSON.stringify(frame);
    this.onmessage?.(new MessageEvent('message', { data }));
  }

  /** The connection ends (server close, network loss, or the end of a client close). */
  serverClose(code = 1006, reason = ''): void {
    this.readyState = FakeWebSocket.CLOSED;
    this.onclose?.(new CloseEvent('close', { code, reason, wasClean: code !== 1006 }));
  }

  finishClose(): void {
    this.serverClose(this.closedByClient?.code ?? 1005, this.closedByClient?.reason ?? '');
  }

  /** Frames the client sent, parsed. */
  frames(): ClientMessage[] {
    return this.sent.map((raw) => JSON.parse(raw) as ClientMessage);
  }

  framesOf<T extends ClientMessageType>(type: T): ClientMessageOf<T>[] {
    return this.frames().filter((frame): frame is ClientMessageOf<T> => frame.type === type);
  }

  clearSent(): void {
    this.sent.length = 0;
  }
}

/** A WebSocket constructor that records every socket the client creates. */
export function fakeSocketFactory(): {
  WebSocket: new (url: string) => FakeWebSocket;
  sockets: FakeWebSocket[];
  last(): FakeWebSocket;
} {
  const sockets: FakeWebSocket[] = [];
  class RecordedWebSocket extends FakeWebSocket {
    constructor(url: string) {
      super(url);
      sockets.push(this);
    }
  }
  return {
    WebSocket: RecordedWebSocket,
    sockets,
    last() {
      const socket = sockets.at(-1);
      if (!socket) throw new Error('no socket was created');
      return socket;
    },
  };
}

export class FakeEnvironment implements BrowserEnvironment {
  online = true;
  visible = true;
  readonly #subscribers = new Set<Partial<EnvironmentHandlers>>();

  isOnline(): boolean {
    return this.online;
  }

  isVisible(): boolean {
    return this.visible;
  }

  subscribe(handlers: Partial<EnvironmentHandlers>): () => void {
    // A wrapper per call, so subscribing the same object twice needs two unsubscribes.
    const subscriber = { ...handlers };
    this.#subscribers.add(subscriber);
    return () => {
      this.#subscribers.delete(subscriber);
    };
  }

  /** Whether anyone still listens (everything unsubscribes on stop). */
  get subscribed(): boolean {
    return this.#subscribers.size > 0;
  }

  goOffline(): void {
    this.online = false;
    for (const subscriber of [...this.#subscribers]) subscriber.offline?.();
  }

  goOnline(): void {
    this.online = true;
    for (const subscriber of [...this.#subscribers]) subscriber.online?.();
  }

  hide(): void {
    this.visible = false;
  }

  show(): void {
    this.visible = true;
    for (const subscriber of [...this.#subscribers]) subscriber.visible?.();
  }

  pagehide(): void {
    for (const subscriber of [...this.#subscribers]) subscriber.pagehide?.();
  }
}

export class MemoryStorage implements KeyValueStorage {
  readonly data = new Map<string, string>();
  /** When set, `setItem` throws like a full localStorage. */
  full = false;

  getItem(key: string): string | null {
    return this.data.get(key) ?? null;
  }

  setItem(key: string, value: string): void {
    if (this.full) throw new DOMException('quota exceeded', 'QuotaExceededError');
    this.data.set(key, value);
  }

  removeItem(key: string): void {
    this.data.delete(key);
  }
}

export interface FakeRequest {
  url: string;
  init: { cache: RequestCache; signal: AbortSignal };
  /** When it was made (the faked `performance.now`). */
  at: number;
  resolve(status: number): void;
  reject(): void;
}

/**
 * A `fetch` for the readiness probe: it records each request, which stays
 * pending until the test answers it (`answer`), as a server that is down
 * leaves a connection hanging until it is refused.
 */
export class FakeFetch {
  readonly requests: FakeRequest[] = [];
  /** When set, every request is answered at once with it (a status, or `'refused'`). */
  answerAtOnce: number | 'refused' | null = null;

  readonly fetch: Fetch = (url, init) =>
    new Promise((resolve, reject) => {
      const refuse = () => reject(new TypeError('Failed to fetch'));
      init.signal.addEventListener('abort', refuse);
      const request = {
        url,
        init,
        at: performance.now(),
        resolve: (status: number) => resolve({ status }),
        reject: refuse,
      };
      this.requests.push(request);
      if (this.answerAtOnce === 'refused') refuse();
      else if (this.answerAtOnce !== null) request.resolve(this.answerAtOnce);
    });

  /** Answers the latest request with `status`, or refuses it (`'refused'`); then lets the probe go on. */
  async answer(status: number | 'refused'): Promise<void> {
    const request = this.requests.at(-1);
    if (!request) throw new Error('no /readyz request to answer');
    if (status === 'refused') request.reject();
    else request.resolve(status);
    // The probe's continuation runs on the microtask queue.
    for (let i = 0; i < 10; i++) await Promise.resolve();
  }
}

export const silentLog = { warn: (): void => undefined };

/** Where the faked clock starts in the tests of the client and its socket. */
export const FAKE_NOW = new Date('2026-03-01T12:00:00Z');

/**
 * Fake timers for each test of the calling file: installed before it (the
 * clock set to `now` when given, else left at the real time) and removed
 * after it.
 */
export function fakeTimersEachTest(now?: Date): void {
  beforeEach(() => {
    vi.useFakeTimers();
    if (now) vi.setSystemTime(now);
  });
  afterEach(() => {
    vi.useRealTimers();
  });
}
