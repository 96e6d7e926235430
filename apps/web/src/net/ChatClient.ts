/**
 * The chat client: one WebSocket at a time, the session on it, heartbeat,
 * reconnect with backoff, resume, and the outbox. It has no React in it: it
 * writes a zustand store that the hooks in src/hooks read.
 *
 * Every socket it opens gets its own handlers that first check that the socket
 * is still the current one: a replaced socket (dead link, rename, stop) may
 * still fire `message` or `close` long after, and those must change nothing.
 */
import type { ClientMessage, ErrorMessage, Hello, Message, ServerMessage, Welcome } from '@tether/protocol';
import {
  CLOSE_CODES,
  DEFAULTS,
  ERROR_CODES,
  FATAL_CLOSE_CODES,
  LIMITS,
  PROTOCOL_VERSION,
  RECONNECT,
} from '@tether/protocol/constants';

import { contiguousEnd, oldestSeq } from '../state/messages';
import {
  ackReceived,
  connectionLost,
  historyReceived,
  historyRequested,
  joinedReceived,
  messageReceived,
  nextTypingExpiry,
  outboxSlice,
  presenceReceived,
  roomAdded,
  roomFailed,
  roomRemoved,
  roomSelected,
  typingExpired,
  typingReceived,
} from '../state/reducers';
import type { StatePatch } from '../state/reducers';
import { enqueue, markFailed, markSending, removeItem } from '../state/outbox';
import { ChatStorage, bindPersistence, restoreState } from '../state/persistence';
import type { PersistenceBinding } from '../state/persistence';
import { createChatStateStore, resetChatStateStore } from '../state/store';
import type { ChatStateStore } from '../state/store';
import { OUTBOX_LIMIT } from '../state/types';
import type { ChatState, ConnectionStatus, OutboxItem } from '../state/types';
import { reconnectDelay } from './backoff';
import { SOCKET_OPEN, browserEnvironment, browserStorage, systemClock, systemTimers } from './env';
import type {
  BrowserEnvironment,
  Clock,
  KeyValueStorage,
  Logger,
  SocketConstructor,
  SocketLike,
  TimerHandle,
  Timers,
} from './env';
import { decodeServerFrame, encodeClientFrame } from './frames';
import { Heartbeat } from './heartbeat';
import { createMessageId } from './ids';
import type { RandomValues } from './ids';
import { checkText, isValidRoomName, normaliseName } from './text';
import { TokenBucket } from './tokenBucket';

/** The room a new session starts in. */
export const DEFAULT_ROOM = 'general';
/** Our own `typing` signals go out at most this often per room. */
export const TYPING_SEND_INTERVAL_MS = 2000;
/**
 * Close code of sockets the client drops itself (dead link, handshake timeout,
 * rename). Not 1000: the server announces `left` at once only on a clean close,
 * and a reconnect must not show as left-and-joined.
 */
export const CLIENT_RECONNECT_CLOSE = 4000;

const FATAL_REASONS: Record<number, string> = {
  [CLOSE_CODES.PROTOCOL_ERROR]: 'unsupported_version',
  [CLOSE_CODES.UNSUPPORTED_DATA]: 'unsupported_data',
  [CLOSE_CODES.POLICY_VIOLATION]: 'policy_violation',
  [CLOSE_CODES.MESSAGE_TOO_BIG]: 'message_too_big',
};

/** Pause before resending after `internal`: the store is away, give it time. */
const INTERNAL_RETRY_MS = 2000;
export interface ChatClientOptions {
  /** The WebSocket endpoint, `ws(s)://host/ws` (see `socketUrl`). */
  url: string;
  /** @default createChatStateStore() */
  store?: ChatStateStore;
  /** Where the session, rooms, outbox and recent messages survive a reload; null keeps nothing. @default localStorage */
  storage?: KeyValueStorage | null;
  /** @default globalThis.WebSocket */
  WebSocket?: SocketConstructor;
  /** @default Date.now */
  clock?: Clock;
  /** @default globalThis.setTimeout / clearTimeout, looked up at call time */
  timers?: Timers;
  /** The backoff jitter, in [0, 1). @default Math.random */
  random?: () => number;
  /** For message ids. @default crypto.getRandomValues */
  getRandomValues?: RandomValues;
  /** Online/offline and page visibility. @default browserEnvironment() */
  environment?: BrowserEnvironment;
  /** @default console */
  log?: Logger;
  /** A socket without `welcome` this long after it was created is dropped. @default 20000 */
  handshakeTimeoutMs?: number;
  /** After `rate_limited`, nothing is sent for this long, then the send is retried. @default 1000 */
  rateLimitRetryMs?: number;
  /** Most messages in the outbox. @default OUTBOX_LIMIT (500) */
  outboxLimit?: number;
}

export type SendResult =
  { ok: true; id: string } | { ok: false; reason: 'full' | 'empty' | 'too_long' | 'not_in_room' };

export type JoinResult = { ok: true } | { ok: false; reason: 'invalid_room' | 'too_many_rooms' };

export type SetNameResult = { ok: true } | { ok: false; reason: 'invalid_name' };

export class ChatClient {
  readonly store: ChatStateStore;
  readonly #url: string;
  readonly #WebSocket: SocketConstructor | undefined;
  readonly #clock: Clock;
  readonly #timers: Timers;
  readonly #random: () => number;
  readonly #getRandomValues: RandomValues | undefined;
  readonly #env: BrowserEnvironment;
  readonly #log: Logger;
  readonly #handshakeTimeoutMs: number;
  readonly #rateLimitRetryMs: number;
  readonly #outboxLimit: number;
  readonly #storage: ChatStorage;
  readonly #persistence: PersistenceBinding;
  /** Paces sends to the server's default per-user rate (10/s, bursts of 20). */
  readonly #bucket: TokenBucket;

  #token: string | null;
  /** The last name the server welcomed, for a resumed hello and the name picker. */
  #savedName: string | null;
  #running = false;
  #unsubscribeEnvironment: (() => void) | null = null;

  #socket: SocketLike | null = null;
  #openedAt: number | null = null;
  #welcomed = false;
  /** Failed attempts since the last connection that stayed up RESET_AFTER_MS. */
  #attempt = 0;
  /** After a 1013, no automatic attempt before this time, not even on `online` or `visible`. */
  #notBefore = 0;
  #retryTimer: TimerHandle | undefined;
  #handshakeTimer: TimerHandle | undefined;
  #pumpTimer: TimerHandle | undefined;
  #typingTimer: TimerHandle | undefined;
  #heartbeat: Heartbeat | null = null;
  /** Rooms whose `join` went out on the current socket: sends to them may follow. */
  readonly #joinSent = new Set<string>();
  /** Outbox ids sent on the current socket and not answered yet. */
  readonly #inflight = new Set<string>();
  readonly #typingSentAt = new Map<string, number>();

  constructor(options: ChatClientOptions) {
    this.#url = options.url;
    this.#WebSocket = options.WebSocket;
    this.#clock = options.clock ?? systemClock;
    this.#timers = options.timers ?? systemTimers;
    this.#random = options.random ?? Math.random;
    this.#getRandomValues = options.getRandomValues;
    this.#env = options.environment ?? browserEnvironment();
    this.#log = options.log ?? console;
    this.#handshakeTimeoutMs =
      options.handshakeTimeoutMs ?? DEFAULTS.HELLO_TIMEOUT_MS + DEFAULTS.HEARTBEAT_TIMEOUT_MS;
    this.#rateLimitRetryMs = options.rateLimitRetryMs ?? 1000;
    this.#outboxLimit = options.outboxLimit ?? OUTBOX_LIMIT;
    this.#bucket = new TokenBucket(DEFAULTS.RATE_LIMIT_BURST, DEFAULTS.RATE_LIMIT_PER_SEC, this.#clock);

    this.#storage = new ChatStorage(
      options.storage === undefined ? browserStorage() : options.storage,
      this.#log,
    );
    // Restored before anything renders, so a reload shows the chat at once,
    // offline too.
    const restored = restoreState(this.#storage);
    this.#token = restored.session.token;
    this.#savedName = restored.session.name;
    this.store = options.store ?? createChatStateStore();
    this.store.setState(restored.state);
    this.#persistence = bindPersistence(this.store, this.#storage, this.#timers);
  }

  // ---------------------------------------------------------------- lifecycle

  /** Connects, and keeps reconnecting until `stop`. Safe to call again after `stop` (React StrictMode). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#unsubscribeEnvironment = this.#env.subscribe({
      online: () => this.#onOnline(),
      offline: () => this.#onOffline(),
      visible: () => this.#onVisible(),
      pagehide: () => this.#persistence.flush(),
    });
    this.#attempt = 0;
    this.#connectOrWait();
  }

  /** Closes the socket cleanly (the others in the room see us leave at once) and writes storage. */
  stop(): void {
    if (!this.#running) return;
    this.#running = false;
    this.#unsubscribeEnvironment?.();
    this.#unsubscribeEnvironment = null;
    this.#clearTimer('retry');
    this.#clearTimer('typing');
    this.#detachSocket(CLOSE_CODES.NORMAL, 'stop');
    this.#attempt = 0;
    this.#setStatus({ kind: 'idle' });
    this.#persistence.flush();
  }

  /** Reconnects at once instead of waiting for the backoff (the "Retry now" button). */
  readonly retryNow = (): void => {
    if (!this.#running) return;
    if (this.#welcomed) {
      this.#heartbeat?.pingNow();
      return;
    }
    this.#detachSocket(CLIENT_RECONNECT_CLOSE, 'retry');
    this.#connect();
  };

  // ------------------------------------------------------------------ session

  /** Chooses (or changes) the name and says hello with it. */
  readonly setName = (raw: string): SetNameResult => {
    const name = normaliseName(raw);
    if (name === null) {
      this.#patchSession({ nameError: 'invalid_name', suggestedName: raw, pendingName: null });
      return { ok: false, reason: 'invalid_name' };
    }
    const { user } = this.store.getState().session;
    if (this.#welcomed && user?.name === name) return { ok: true };
    this.#patchSession({ pendingName: name, nameError: null, suggestedName: null });
    if (!this.#running) return { ok: true };
    const socket = this.#socket;
    if (this.#welcomed) {
      // A second hello after welcome is a bad_request: a rename is a new connection.
      this.#detachSocket(CLIENT_RECONNECT_CLOSE, 'rename');
      this.#connect();
    } else if (socket?.readyState === SOCKET_OPEN) {
      // The server keeps the connection open after name_taken for another hello.
      this.#sendHello();
    } else if (!socket) {
      this.#attempt = 0;
      this.#connectOrWait();
    }
    // A socket still connecting says hello with the new name once it opens.
    return { ok: true };
  };

  /** Forgets the token, rooms, messages and outbox, here and in storage. */
  readonly signOut = (): void => {
    this.#detachSocket(CLOSE_CODES.NORMAL, 'sign out');
    this.#clearTimer('retry');
    this.#clearTimer('typing');
    this.#token = null;
    this.#savedName = null;
    this.#attempt = 0;
    resetChatStateStore(this.store);
    this.#persistence.flush();
    this.#storage.clear();
  };

  // -------------------------------------------------------------------- rooms

  /** Joins a room (listed at once, joined when connected) and selects it. */
  readonly join = (room: string): JoinResult => {
    if (!isValidRoomName(room)) return { ok: false, reason: 'invalid_room' };
    const state = this.store.getState();
    if (!state.rooms.byName[room]) {
      if (state.rooms.order.length >= LIMITS.MAX_ROOMS_PER_CONNECTION) {
        return { ok: false, reason: 'too_many_rooms' };
      }
      this.#update((s) => roomAdded(s, room));
      if (this.#welcomed) this.#sendJoin(room);
    }
    this.#update((s) => roomSelected(s, room));
    return { ok: true };
  };

  /** Leaves a room; its messages and unsent messages are dropped. */
  readonly leave = (room: string): void => {
    if (!this.store.getState().rooms.byName[room]) return;
    if (this.#joinSent.delete(room)) this.#sendFrame({ type: 'leave', room });
    for (const item of this.store.getState().outbox.items) {
      if (item.room === room) this.#inflight.delete(item.id);
    }
    this.#typingSentAt.delete(room);
    this.#update((s) => roomRemoved(s, room));
  };

  /** Makes a room the current one and marks it read. */
  readonly select = (room: string): void => {
    this.#update((s) => roomSelected(s, room));
  };

  /** Asks for the list of every room on the server (see `directory`). */
  readonly listRooms = (): void => {
    if (!this.#welcomed) return;
    if (this.#sendFrame({ type: 'rooms' })) {
      this.store.setState((s) => ({ directory: { ...s.directory, loading: true } }));
    }
  };

  /** Asks for up to 50 messages before the oldest one held. Returns whether a request went out. */
  readonly loadOlder = (room: string): boolean => {
    const state = this.store.getState();
    const view = state.rooms.byName[room];
    if (!this.#welcomed || !view?.joined || !view.hasMore || view.loadingOlder) return false;
    const before = oldestSeq(state.messages.byRoom[room] ?? {});
    const sent = this.#sendFrame({
      type: 'history',
      room,
      limit: LIMITS.HISTORY_DEFAULT_LIMIT,
      ...(before === null ? {} : { before }),
    });
    if (sent) this.#update((s) => historyRequested(s, room));
    return sent;
  };

  /** Tells the room we are typing. At most one per room per 2 s; never queued. */
  readonly typing = (room: string): void => {
    if (!this.#welcomed || !this.#joinSent.has(room)) return;
    const now = this.#clock.now();
    const last = this.#typingSentAt.get(room);
    if (last !== undefined && now - last < TYPING_SEND_INTERVAL_MS) return;
    if (this.#sendFrame({ type: 'typing', room })) this.#typingSentAt.set(room, now);
  };

  // ----------------------------------------------------------------- messages

  /**
   * Queues a message: it shows at once as 'sending', survives a reload, and
   * goes out (again, with the same id) whenever a connection allows.
   */
  readonly send = (room: string, text: string): SendResult => {
    const check = checkText(text);
    if (check !== 'ok') return { ok: false, reason: check };
    const state = this.store.getState();
    if (!state.rooms.byName[room]) return { ok: false, reason: 'not_in_room' };
    const id = createMessageId(this.#getRandomValues);
    const item: OutboxItem = { id, room, text, createdAt: this.#clock.now(), state: 'sending' };
    const items = enqueue(state.outbox.items, item, this.#outboxLimit);
    if (!items) return { ok: false, reason: 'full' };
    this.store.setState({ outbox: outboxSlice(items) });
    this.#pump();
    return { ok: true, id };
  };

  /** Sends a failed message again, with its original id. */
  readonly retry = (id: string): void => {
    this.#setOutbox(markSending(this.store.getState().outbox.items, id));
    this.#pump();
  };

  /** Drops a message from the outbox. If it was already on its way, it may still arrive. */
  readonly discard = (id: string): void => {
    this.#inflight.delete(id);
    this.#setOutbox(removeItem(this.store.getState().outbox.items, id));
  };

  // --------------------------------------------------------------- connection

  #helloName(): string | null {
    const { session } = this.store.getState();
    if (session.pendingName !== null) return session.pendingName;
    if (this.#token === null) return null;
    return session.user?.name ?? this.#savedName;
  }

  /** Connects unless there is nothing to connect with (no name) or the browser is offline. */
  #connectOrWait(): void {
    if (this.#helloName() === null) this.#setStatus({ kind: 'idle' });
    else if (!this.#env.isOnline()) this.#setStatus({ kind: 'offline' });
    else this.#connect();
  }

  #connect(): void {
    this.#clearTimer('retry');
    if (!this.#running) return;
    if (this.#helloName() === null) {
      this.#setStatus({ kind: 'idle' });
      return;
    }
    const Socket = this.#WebSocket ?? globalThis.WebSocket;
    let socket: SocketLike;
    try {
      socket = new Socket(this.#url);
    } catch (error) {
      // Only a malformed URL throws here; retrying would not fix it.
      this.#log.warn('tether: cannot open the WebSocket', error);
      this.#setStatus({ kind: 'failed', reason: 'invalid_url' });
      return;
    }
    this.#socket = socket;
    this.#openedAt = null;
    this.#welcomed = false;
    this.#setStatus({ kind: 'connecting', attempt: this.#attempt });
    this.#armHandshakeTimer();

    socket.onopen = () => {
      if (socket !== this.#socket) return;
      this.#openedAt = this.#clock.now();
      this.#sendHello();
    };
    socket.onmessage = (event) => {
      if (socket !== this.#socket) return;
      this.#onData(event.data);
    };
    socket.onclose = (event) => {
      if (socket !== this.#socket) return;
      this.#socket = null;
      this.#onClosed(event.code, event.reason);
    };
    // An error is always followed by `close`, which decides what happens next.
    socket.onerror = null;
  }

  /** Forgets the current socket, so its late events are ignored, and closes it. */
  #detachSocket(code: number, reason: string): void {
    const socket = this.#socket;
    this.#socket = null;
    this.#teardownConnection();
    if (!socket) return;
    try {
      socket.close(code, reason);
    } catch (error) {
      this.#log.warn('tether: closing the WebSocket failed', error);
    }
  }

  /** The link is judged dead (heartbeat, handshake timeout): drop it and reconnect with backoff. */
  #drop(reason: string): void {
    this.#detachSocket(CLIENT_RECONNECT_CLOSE, reason);
    this.#onClosed(CLIENT_RECONNECT_CLOSE, reason);
  }

  #teardownConnection(): void {
    this.#heartbeat?.stop();
    this.#heartbeat = null;
    this.#clearTimer('handshake');
    this.#clearTimer('pump');
    this.#welcomed = false;
    this.#joinSent.clear();
    this.#inflight.clear();
    this.#typingSentAt.clear();
    this.#update((s) => {
      const patch = connectionLost(s);
      return s.directory.loading ? { ...patch, directory: { ...s.directory, loading: false } } : patch;
    });
  }

  #onClosed(code: number, reason: string): void {
    const openedAt = this.#openedAt;
    this.#openedAt = null;
    this.#teardownConnection();
    if (!this.#running) return;
    // Only a connection that stayed up resets the backoff, so a server that
    // accepts and then drops at once keeps being backed off.
    if (openedAt !== null && this.#clock.now() - openedAt >= RECONNECT.RESET_AFTER_MS) this.#attempt = 0;

    if (FATAL_CLOSE_CODES.includes(code)) {
      // The server refused this client; retrying in a loop would only repeat
      // the refusal. The person sees why and may retry by hand.
      this.#setStatus({ kind: 'failed', reason: reason || (FATAL_REASONS[code] ?? `close_${code}`), code });
      return;
    }
    if (this.#helloName() === null) {
      this.#setStatus({ kind: 'idle' });
      return;
    }
    if (!this.#env.isOnline()) {
      this.#setStatus({ kind: 'offline' });
      return;
    }
    this.#attempt += 1;
    const delay = reconnectDelay(this.#attempt, code, this.#random);
    if (code === CLOSE_CODES.TRY_AGAIN_LATER) this.#notBefore = this.#clock.now() + delay;
    this.#scheduleRetry(delay);
  }

  #scheduleRetry(delay: number): void {
    this.#clearTimer('retry');
    this.#setStatus({ kind: 'reconnecting', attempt: this.#attempt, retryAt: this.#clock.now() + delay });
    this.#retryTimer = this.#timers.setTimeout(() => {
      this.#retryTimer = undefined;
      this.#connect();
    }, delay);
  }

  /**
   * Skips the wait when one is pending: the network is back or the page is
   * looked at again. A server that said 1013 (at capacity) still gets its
   * pause: every client of a busy server sees `visible` and `online` too.
   */
  #connectIfWaiting(): void {
    if (!this.#running || this.#socket) return;
    const { kind } = this.store.getState().connection.status;
    if (kind !== 'reconnecting' && kind !== 'offline') return;
    const wait = this.#notBefore - this.#clock.now();
    if (wait <= 0) this.#connect();
    else if (this.#retryTimer === undefined) this.#scheduleRetry(wait);
  }

  #onOnline(): void {
    this.#connectIfWaiting();
  }

  #onOffline(): void {
    if (this.#welcomed) {
      // Often true, sometimes not (a VPN, a flaky driver): let the link answer.
      this.#heartbeat?.pingNow();
    } else if (!this.#socket && this.#retryTimer !== undefined) {
      this.#clearTimer('retry');
      this.#setStatus({ kind: 'offline' });
    }
  }

  #onVisible(): void {
    // A socket that died while the machine slept is found within timeoutMs.
    if (this.#welcomed) this.#heartbeat?.pingNow();
    else this.#connectIfWaiting();
  }

  #armHandshakeTimer(): void {
    this.#clearTimer('handshake');
    this.#handshakeTimer = this.#timers.setTimeout(() => {
      this.#handshakeTimer = undefined;
      this.#drop('handshake timeout');
    }, this.#handshakeTimeoutMs);
  }

  #sendHello(): void {
    const name = this.#helloName();
    if (name === null) return;
    const hello: Hello = { type: 'hello', v: PROTOCOL_VERSION, name };
    if (this.#token !== null) hello.token = this.#token;
    if (this.#sendFrame(hello)) this.#armHandshakeTimer();
  }

  #sendFrame(frame: ClientMessage): boolean {
    const socket = this.#socket;
    if (socket?.readyState !== SOCKET_OPEN) return false;
    try {
      socket.send(encodeClientFrame(frame));
      return true;
    } catch (error) {
      this.#log.warn('tether: send failed', error);
      return false;
    }
  }

  #sendJoin(room: string): void {
    const state = this.store.getState();
    const view = state.rooms.byName[room];
    if (!view) return;
    const since = contiguousEnd(state.messages.byRoom[room] ?? {});
    // `since` counts only with the epoch it belongs to; without both the server
    // answers with the latest messages.
    const resume = since !== null && view.epoch !== null ? { since, epoch: view.epoch } : {};
    if (this.#sendFrame({ type: 'join', room, ...resume })) this.#joinSent.add(room);
  }

  // ------------------------------------------------------------------- frames

  #onData(data: unknown): void {
    // Any frame proves the link alive, whatever it holds.
    this.#heartbeat?.received();
    const frame = decodeServerFrame(data);
    if (!frame) {
      this.#log.warn('tether: ignored a frame that is not a server message');
      return;
    }
    try {
      this.#dispatch(frame);
    } catch (error) {
      // A malformed frame must not take the client down with it.
      this.#log.warn(`tether: could not handle a '${frame.type}' frame`, error);
    }
  }

  #dispatch(frame: ServerMessage): void {
    const selfId = this.store.getState().session.user?.id ?? null;
    switch (frame.type) {
      case 'welcome':
        return this.#onWelcome(frame);
      case 'joined':
        return this.#update((s) => joinedReceived(s, frame, selfId));
      case 'left':
        // Leaving is local and immediate; the answer confirms only that.
        return;
      case 'ack':
        this.#inflight.delete(frame.id);
        return this.#update((s) => ackReceived(s, frame, s.session.user));
      case 'message': {
        const message: Message = {
          room: frame.room,
          seq: frame.seq,
          ts: frame.ts,
          id: frame.id,
          from: frame.from,
          text: frame.text,
        };
        return this.#update((s) => messageReceived(s, message, selfId));
      }
      case 'history':
        return this.#update((s) => historyReceived(s, frame));
      case 'presence':
        return this.#update((s) => presenceReceived(s, frame));
      case 'typing': {
        const until = this.#clock.now() + LIMITS.TYPING_DISPLAY_MS;
        this.#update((s) => typingReceived(s, frame, selfId, until));
        return this.#scheduleTypingExpiry();
      }
      case 'pong': {
        const rtt = this.#heartbeat?.pong(frame.t) ?? null;
        if (rtt !== null) this.store.setState((s) => ({ connection: { ...s.connection, rttMs: rtt } }));
        return;
      }
      case 'rooms':
        return this.store.setState({
          directory: { rooms: frame.rooms, loading: false, updatedAt: this.#clock.now() },
        });
      case 'error':
        return this.#onError(frame);
      default: {
        const unknown: never = frame;
        return unknown;
      }
    }
  }

  #onWelcome(welcome: Welcome): void {
    this.#clearTimer('handshake');
    this.#welcomed = true;
    this.#token = welcome.token;
    this.#savedName = welcome.user.name;
    this.#storage.saveSession({ token: welcome.token, user: welcome.user, name: welcome.user.name });
    this.store.setState((s) => ({
      // A welcome after a refused rename (pendingName already cleared) keeps
      // the refusal visible; a welcome for the name asked for clears it.
      session:
        s.session.pendingName === null && s.session.user !== null
          ? { ...s.session, user: welcome.user }
          : { user: welcome.user, pendingName: null, nameError: null, suggestedName: null },
      connection: { ...s.connection, status: { kind: 'open', since: this.#clock.now() } },
    }));

    this.#heartbeat?.stop();
    this.#heartbeat = new Heartbeat({
      intervalMs: welcome.heartbeat.intervalMs,
      timeoutMs: welcome.heartbeat.timeoutMs,
      clock: this.#clock,
      timers: this.#timers,
      sendPing: (t) => this.#sendFrame({ type: 'ping', t }),
      onDead: () => this.#drop('heartbeat timeout'),
    });
    this.#heartbeat.start();

    if (this.store.getState().rooms.order.length === 0) {
      this.#update((s) => roomAdded(s, DEFAULT_ROOM));
      this.#update((s) => roomSelected(s, DEFAULT_ROOM));
    }
    const { rooms, outbox } = this.store.getState();
    for (const room of rooms.order) this.#sendJoin(room);
    // Only corrupt storage leaves sends for rooms we are not in; they would wait forever.
    for (const item of outbox.items) {
      if (item.state === 'sending' && !rooms.byName[item.room]) {
        this.#setOutbox(markFailed(this.store.getState().outbox.items, item.id, ERROR_CODES.NOT_IN_ROOM));
      }
    }
    this.#pump();
    // One ping at once, after the resume traffic: the RTT readout has a value from the start.
    this.#heartbeat.pingNow();
  }

  #onError(error: ErrorMessage): void {
    if (error.id !== undefined) {
      this.#onSendError(error.id, error.code);
      return;
    }
    switch (error.code) {
      case ERROR_CODES.NAME_TAKEN:
      case ERROR_CODES.INVALID_NAME:
        return this.#onNameRefused(error.code);
      case ERROR_CODES.INVALID_TOKEN: {
        // The server forgot us (expired, or another server's data): start over
        // as a new user, with the name picker prefilled.
        const name = this.store.getState().session.pendingName ?? this.#savedName;
        this.#token = null;
        this.#clearTimer('handshake');
        this.#storage.saveSession({ token: null, user: null, name });
        this.#patchSession({ user: null, pendingName: null, nameError: null, suggestedName: name });
        return;
      }
      case ERROR_CODES.UNSUPPORTED_VERSION:
        // Close 1002 follows; say why meanwhile.
        this.#setStatus({ kind: 'failed', reason: error.code, code: CLOSE_CODES.PROTOCOL_ERROR });
        return;
      default:
        if (error.room !== undefined) this.#update((s) => roomFailed(s, error.room ?? '', error.code));
        else this.#log.warn(`tether: server error ${error.code}: ${error.message}`);
    }
  }

  #onNameRefused(code: 'name_taken' | 'invalid_name'): void {
    const { session } = this.store.getState();
    const current = this.#token === null ? null : (session.user?.name ?? this.#savedName);
    const refused = session.pendingName ?? current;
    if (current !== null && refused !== current) {
      // A rename was refused: stay who we were, on this same connection.
      this.#patchSession({ pendingName: null, nameError: code, suggestedName: refused });
      this.#sendHello();
      return;
    }
    // Nothing else to say hello with (a new user, or our saved name is now
    // someone else's): the name picker asks for another. Until then there is
    // nothing to reconnect with; the server closes the socket after
    // HELLO_TIMEOUT_MS unless a new name comes first.
    this.#savedName = null;
    this.#clearTimer('handshake');
    this.#patchSession({ user: null, pendingName: null, nameError: code, suggestedName: refused });
  }

  #onSendError(id: string, code: string): void {
    this.#inflight.delete(id);
    if (code === ERROR_CODES.RATE_LIMITED) {
      // Not the message's fault: it stays 'sending' and goes out again after
      // a pause, like every send behind it.
      this.#bucket.pause(this.#rateLimitRetryMs + Math.floor(this.#random() * 500));
      this.#pump();
      return;
    }
    if (code === ERROR_CODES.INTERNAL) {
      // The server could not store it (its database or Redis is away): nothing
      // was acked, so the same id goes out again once the server had time to
      // recover. The person sees 'Sending…', not a failure they must retry.
      this.#bucket.pause(INTERNAL_RETRY_MS + Math.floor(this.#random() * INTERNAL_RETRY_MS));
      this.#pump();
      return;
    }
    this.#setOutbox(markFailed(this.store.getState().outbox.items, id, code));
  }

  // ------------------------------------------------------------------- outbox

  /** Sends every 'sending' item not yet on this socket, oldest first, at the pace the server allows. */
  #pump(): void {
    this.#clearTimer('pump');
    if (!this.#welcomed) return;
    for (const item of this.store.getState().outbox.items) {
      if (item.state !== 'sending' || this.#inflight.has(item.id) || !this.#joinSent.has(item.room)) continue;
      if (!this.#bucket.take()) {
        this.#pumpTimer = this.#timers.setTimeout(() => {
          this.#pumpTimer = undefined;
          this.#pump();
        }, this.#bucket.wait());
        return;
      }
      if (!this.#sendFrame({ type: 'send', room: item.room, id: item.id, text: item.text })) return;
      this.#inflight.add(item.id);
    }
  }

  #setOutbox(items: OutboxItem[]): void {
    if (items !== this.store.getState().outbox.items) this.store.setState({ outbox: outboxSlice(items) });
  }

  // -------------------------------------------------------------------- state

  #update(reducer: (state: ChatState) => StatePatch): void {
    const patch = reducer(this.store.getState());
    if (patch) this.store.setState(patch);
  }

  #setStatus(status: ConnectionStatus): void {
    this.store.setState((s) => ({ connection: { ...s.connection, status } }));
  }

  #patchSession(patch: Partial<ChatState['session']>): void {
    this.store.setState((s) => ({ session: { ...s.session, ...patch } }));
  }

  #scheduleTypingExpiry(): void {
    this.#clearTimer('typing');
    const next = nextTypingExpiry(this.store.getState());
    if (next === null) return;
    this.#typingTimer = this.#timers.setTimeout(
      () => {
        this.#typingTimer = undefined;
        this.#update((s) => typingExpired(s, this.#clock.now()));
        this.#scheduleTypingExpiry();
      },
      Math.max(0, next - this.#clock.now()),
    );
  }

  #clearTimer(which: 'retry' | 'handshake' | 'pump' | 'typing'): void {
    const handles = {
      retry: this.#retryTimer,
      handshake: this.#handshakeTimer,
      pump: this.#pumpTimer,
      typing: this.#typingTimer,
    };
    const handle = handles[which];
    if (handle === undefined) return;
    this.#timers.clearTimeout(handle);
    if (which === 'retry') this.#retryTimer = undefined;
    else if (which === 'handshake') this.#handshakeTimer = undefined;
    else if (which === 'pump') this.#pumpTimer = undefined;
    else this.#typingTimer = undefined;
  }
}
