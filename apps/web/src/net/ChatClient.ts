/**
 * The chat client: the protocol on top of one reconnecting socket. It says
 * hello and resumes (joins every room with `since` and `epoch`), sends the
 * outbox, and takes the calls the UI makes; the server's frames go through
 * `FrameDispatcher` (dispatch.ts) to the parts and the state's reducers. It
 * has no React in it: it writes a vanilla zustand store that the hooks in
 * src/hooks read.
 *
 * The parts, one concern each: `ReconnectingSocket` (socket.ts) keeps a link
 * up, `Session` (session.ts) knows who we are, `OutboxPump` (outboxPump.ts)
 * paces and tracks sends, `Typing` (typing.ts) throttles and expires typing
 * signals, `Reads` (reads.ts) asks for history, rooms and a big room's
 * members and tries a refused read again, `Joins` (joins.ts) joins and
 * resumes rooms and joins again what the server refused for now; this file
 * ties them to the store and to the UI's calls.
 */
import type { ClientMessage, ReplyRef } from '@tether/protocol';
import { CLOSE_CODES, LIMITS } from '@tether/protocol/constants';

import { ChatStorage, bindPersistence, restoreState } from '../state/persistence';
import type { PersistenceBinding } from '../state/persistence';
import { connectionLost, roomAdded, roomRemoved, roomSelected } from '../state/reducers';
import { readingPositionChanged } from '../state/reading';
import type { StatePatch } from '../state/reducers';
import { createChatStateStore, resetChatStateStore } from '../state/store';
import type { ChatStateStore } from '../state/store';
import { OUTBOX_LIMIT } from '../state/types';
import type { ChatState, OutboxChange, OutboxItem, ReadingPosition } from '../state/types';
import {
  browserEnvironment,
  browserStorage,
  monotonicClock,
  readyUrl,
  systemFetch,
  systemTimers,
  wallClock,
} from './env';
import type { BrowserEnvironment, Clock, Logger } from './env';
import type { SessionFrame } from './frames';
import { createMessageId } from './ids';
import type { RandomValues } from './ids';
import { Joins } from './joins';
import { HANDSHAKE_TIMEOUT_MS, RATE_LIMIT_RETRY_MS } from './options';
import type { ChatClientOptions } from './options';
import { OutboxPump } from './outboxPump';
import { Reads } from './reads';
import { Session } from './session';
import { ReconnectingSocket } from './socket';
import { checkText, isValidRoomName } from './text';
import { Typing } from './typing';

import { DEFAULT_ROOM, FrameDispatcher } from './dispatch';

export { DEFAULT_ROOM };

/** What `send` answers: the new message's id, or why it was refused at once. */
export type SendResult =
  { ok: true; id: string } | { ok: false; reason: 'full' | 'empty' | 'too_long' | 'not_in_room' };

/**
 * What `edit`, `deleteMessage` and `react` answer: queued (shown pending at
 * once, kept across reloads, sent with the same id until answered), or why
 * not. `unchanged`: the edit says what the message already says.
 */
export type ChangeResult =
  | { ok: true; id: string | null }
  | { ok: false; reason: 'full' | 'empty' | 'too_long' | 'not_in_room' | 'not_found' | 'unsupported' };

/** What `join` answers. */
export type JoinResult = { ok: true } | { ok: false; reason: 'invalid_room' | 'too_many_rooms' };

/** What `setName` answers. */
export type SetNameResult = { ok: true } | { ok: false; reason: 'invalid_name' };

export class ChatClient {
  readonly store: ChatStateStore;
  readonly #clock: Clock;
  readonly #wallClock: Clock;
  readonly #getRandomValues: RandomValues | undefined;
  readonly #env: BrowserEnvironment;
  readonly #log: Logger;
  readonly #storage: ChatStorage;
  readonly #persistence: PersistenceBinding;
  readonly #session: Session;
  readonly #socket: ReconnectingSocket;
  readonly #outbox: OutboxPump;
  readonly #typing: Typing;
  readonly #reads: Reads;
  readonly #joins: Joins;
  readonly #frames: FrameDispatcher;

  #unsubscribeEnvironment: (() => void) | null = null;

  constructor(options: ChatClientOptions) {
    this.#clock = options.clock ?? monotonicClock;
    this.#wallClock = options.wallClock ?? wallClock;
    const timers = options.timers ?? systemTimers;
    this.#getRandomValues = options.getRandomValues;
    this.#env = options.environment ?? browserEnvironment();
    this.#log = options.log ?? console;
    const random = options.random ?? Math.random;

    this.#storage = new ChatStorage(
      options.storage === undefined ? browserStorage() : options.storage,
      this.#log,
    );
    // Restored before anything renders, so a reload shows the chat at once,
    // offline too.
    const restored = restoreState(this.#storage);
    this.store = options.store ?? createChatStateStore();
    this.store.setState(restored.state);
    this.#persistence = bindPersistence(this.store, this.#storage, timers);
    this.#session = new Session(this.store, this.#storage, restored.session);

    this.#socket = new ReconnectingSocket({
      url: options.url,
      WebSocket: options.WebSocket,
      readyUrl: readyUrl(options.url),
      fetch: () => options.fetch ?? systemFetch(),
      clock: this.#clock,
      timers,
      random,
      environment: this.#env,
      log: this.#log,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS,
      canConnect: () => this.#session.helloName() !== null,
      handlers: {
        open: () => this.#openSession(),
        frame: (frame) => this.#onFrame(frame),
        close: () => this.#onConnectionLost(),
        status: (status) => this.store.setState((s) => ({ connection: { ...s.connection, status } })),
        rtt: (ms) => this.store.setState((s) => ({ connection: { ...s.connection, rttMs: ms } })),
      },
    });
    this.#outbox = new OutboxPump({
      store: this.store,
      clock: this.#clock,
      timers,
      random,
      rateLimitRetryMs: options.rateLimitRetryMs ?? RATE_LIMIT_RETRY_MS,
      outboxLimit: options.outboxLimit ?? OUTBOX_LIMIT,
      send: (frame) => this.#socket.send(frame),
      joined: (room) => this.#joins.has(room),
    });
    this.#typing = new Typing(this.store, this.#clock, timers);
    const retryMs = options.rateLimitRetryMs ?? RATE_LIMIT_RETRY_MS;
    const send = (frame: ClientMessage) => this.#socket.send(frame);
    const store = this.store;
    this.#joins = new Joins({ store, timers, random, retryMs, send, welcomed: () => this.#welcomed });
    // A room's reads need it joined on this connection.
    const canRead = (room: string) =>
      this.#welcomed && this.#joins.has(room) && store.getState().rooms.byName.get(room)?.joined === true;
    const welcomed = () => this.#welcomed;
    const wall = this.#wallClock;
    this.#reads = new Reads({ store, wallClock: wall, timers, random, retryMs, send, welcomed, canRead });
    this.#frames = new FrameDispatcher({
      store,
      session: this.#session,
      socket: this.#socket,
      outbox: this.#outbox,
      typing: this.#typing,
      reads: this.#reads,
      joins: this.#joins,
      log: this.#log,
      sendHello: () => this.#sendHello(),
    });
  }

  // ---------------------------------------------------------------- lifecycle

  /** Connects, and keeps reconnecting until `stop`. Safe to call again after `stop` (React StrictMode). */
  start(): void {
    if (this.#socket.running) return;
    this.#unsubscribeEnvironment = this.#env.subscribe({ pagehide: () => this.#persistence.flush() });
    this.#socket.start();
  }

  /** Closes the socket cleanly (the others in the room see us leave at once) and writes storage. */
  stop(): void {
    if (!this.#socket.running) return;
    this.#unsubscribeEnvironment?.();
    this.#unsubscribeEnvironment = null;
    this.#typing.stop();
    this.#socket.stop();
    this.#persistence.flush();
  }

  /** Reconnects at once instead of waiting for the backoff (the "Retry now" button). */
  readonly retryNow = (): void => {
    this.#socket.retryNow();
  };

  // ------------------------------------------------------------------ session

  /** Chooses (or changes) the name and says hello with it. */
  readonly setName = (raw: string): SetNameResult => {
    const choice = this.#session.choose(raw, this.#socket.phase === 'ready');
    if (choice === 'invalid') return { ok: false, reason: 'invalid_name' };
    if (choice === 'current' || !this.#socket.running) return { ok: true };
    switch (this.#socket.phase) {
      case 'ready':
        // A second hello after welcome is a bad_request: a rename is a new connection.
        this.#socket.reconnect('rename');
        break;
      case 'open':
        // The server keeps the connection open after name_taken for another hello.
        this.#sendHello();
        break;
      case 'closed':
        this.#socket.connect();
        break;
      case 'connecting':
        // It says hello with the new name once it opens.
        break;
    }
    return { ok: true };
  };

  /** Forgets the token, rooms, messages and outbox, here and in storage. */
  readonly signOut = (): void => {
    this.#socket.disconnect(CLOSE_CODES.NORMAL, 'sign out');
    this.#typing.stop();
    this.#session.forget();
    resetChatStateStore(this.store);
    this.#persistence.flush();
    this.#storage.clear();
  };

  // -------------------------------------------------------------------- rooms

  /** Joins a room (listed at once, joined when connected) and selects it. */
  readonly join = (room: string): JoinResult => {
    if (!isValidRoomName(room)) return { ok: false, reason: 'invalid_room' };
    const state = this.store.getState();
    if (!state.rooms.byName.get(room)) {
      if (state.rooms.order.length >= LIMITS.MAX_ROOMS_PER_CONNECTION) {
        return { ok: false, reason: 'too_many_rooms' };
      }
      this.#update((s) => roomAdded(s, room));
      if (this.#welcomed) this.#joins.send(room);
    }
    this.#update((s) => roomSelected(s, room));
    return { ok: true };
  };

  /** Leaves a room; its messages and unsent messages are dropped. */
  readonly leave = (room: string): void => {
    if (!this.store.getState().rooms.byName.get(room)) return;
    this.#joins.leave(room);
    this.#outbox.forgetRoom(room);
    this.#typing.forget(room);
    this.#reads.forget(room);
    this.#update((s) => roomRemoved(s, room));
  };

  /** Makes a room the current one and marks it read. */
  readonly select = (room: string): void => {
    this.#update((s) => roomSelected(s, room));
  };

  /**
   * The rooms directory (state `directory`), a page at a time: the first page
   * of its current search again (on connect, every 30 s), a search from its
   * first page (the text made a room-name prefix), the next page.
   */
  readonly listRooms = (): void => this.#reads.listRooms();
  readonly searchRooms = (text: string): void => this.#reads.directory.search(text);
  readonly moreRooms = (): void => this.#reads.moreRooms();

  /** A big room's members, a page at a time: the first of a search by name ('' for all), the next. */
  readonly searchMembers = (room: string, text: string): void => this.#reads.searchMembers(room, text);
  readonly moreMembers = (room: string): void => this.#reads.moreMembers(room);

  /** Asks for up to 50 messages before the oldest one held. Returns whether a request went out. */
  readonly loadOlder = (room: string): boolean => this.#reads.loadOlder(room);

  /** Where the room's list is being read (kept, and restored after a reload). */
  readonly setReadingPosition = (room: string, position: ReadingPosition): void => {
    this.#update((s) => readingPositionChanged(s, room, position));
  };

  /** Where the room's list was last read, if it was ever scrolled. */
  readonly readingPosition = (room: string): ReadingPosition | null =>
    this.store.getState().reading.byRoom.get(room) ?? null;

  /** Tells the room we are typing. At most one per room per 2 s; never queued. */
  readonly typing = (room: string): void => {
    if (!this.#welcomed || !this.#joins.has(room)) return;
    this.#typing.signal(room, () => this.#socket.send({ type: 'typing', room }));
  };

  // ----------------------------------------------------------------- messages

  /**
   * Queues a message: it shows at once as 'sending', survives a reload, and
   * goes out (again, with the same id) whenever a connection allows.
   */
  readonly send = (room: string, text: string, replyTo?: ReplyRef): SendResult => {
    const check = checkText(text);
    if (check !== 'ok') return { ok: false, reason: check };
    const state = this.store.getState();
    if (!state.rooms.byName.get(room)) return { ok: false, reason: 'not_in_room' };
    const id = createMessageId(this.#getRandomValues);
    const item: OutboxItem = { id, room, text, createdAt: this.#wallClock.now(), state: 'sending' };
    // An older server ignores `replyTo`; the reply would show a quote nobody else sees.
    if (replyTo && state.session.changes) item.replyTo = replyTo;
    return this.#outbox.add(item) ? { ok: true, id } : { ok: false, reason: 'full' };
  };

  /** Changes the text of one of our messages (`target`: its seq); queued like a send. */
  readonly edit = (room: string, target: number, text: string): ChangeResult => {
    const check = checkText(text);
    if (check !== 'ok') return { ok: false, reason: check };
    const message = this.store.getState().messages.byRoom.get(room)?.[target];
    if (message?.text === text) return { ok: true, id: null };
    return this.#change(room, text, { kind: 'edit', target });
  };

  /** Deletes one of our messages: a tombstone ("Message deleted") takes its place. */
  readonly deleteMessage = (room: string, target: number): ChangeResult =>
    this.#change(room, '', { kind: 'delete', target });

  /** Adds (`on`) or takes away our reaction `emoji` on a message. */
  readonly react = (room: string, target: number, emoji: string, on: boolean): ChangeResult =>
    this.#change(room, '', { kind: 'react', target, emoji, on });

  #change(room: string, text: string, change: OutboxChange): ChangeResult {
    const state = this.store.getState();
    if (!state.session.changes) return { ok: false, reason: 'unsupported' };
    if (!state.rooms.byName.get(room)) return { ok: false, reason: 'not_in_room' };
    const message = state.messages.byRoom.get(room)?.[change.target];
    if (!message || message.deleted) return { ok: false, reason: 'not_found' };
    const id = createMessageId(this.#getRandomValues);
    const item: OutboxItem = { id, room, text, change, createdAt: this.#wallClock.now(), state: 'sending' };
    return this.#outbox.add(item) ? { ok: true, id } : { ok: false, reason: 'full' };
  }

  /** Sends a failed message again, with its original id. */
  readonly retry = (id: string): void => {
    this.#outbox.retry(id);
  };

  /** Drops a message from the outbox. If it was already on its way, it may still arrive. */
  readonly discard = (id: string): void => {
    this.#outbox.discard(id);
  };

  // --------------------------------------------------------------- connection

  get #welcomed(): boolean {
    return this.#socket.phase === 'ready';
  }

  #sendHello(): boolean {
    const hello = this.#session.hello();
    if (!hello || !this.#socket.send(hello)) return false;
    this.#socket.startHandshakeTimer();
    return true;
  }

  /**
   * A new connection: hello, and right behind it the join (resume) of every
   * room, without waiting for `welcome`. The server answers a connection's
   * requests in order (docs/protocol.md, "Order of requests and answers"), so
   * the joins see the session, and a reconnect costs one round trip instead
   * of two. A join refused because the hello was (`not_authenticated`) goes
   * out again after the welcome (Joins.refused, FrameDispatcher).
   */
  #openSession(): void {
    if (!this.#sendHello()) return;
    if (this.store.getState().rooms.order.length === 0) {
      // A new session starts in the default room.
      this.#update((s) => roomAdded(s, DEFAULT_ROOM));
      this.#update((s) => roomSelected(s, DEFAULT_ROOM));
    }
    for (const room of this.store.getState().rooms.order) this.#joins.send(room);
  }

  /** The socket the joins and sends went out on is gone: on the next one they all go out again. */
  #onConnectionLost(): void {
    this.#outbox.stop();
    this.#joins.connectionLost();
    this.#typing.forget();
    this.#reads.connectionLost();
    this.#update(connectionLost);
  }

  // ------------------------------------------------------------------- frames

  #onFrame(frame: SessionFrame): void {
    try {
      this.#frames.handle(frame);
    } catch (error) {
      // A malformed frame must not take the client down with it.
      this.#log.warn(`tether: could not handle a '${frame.type}' frame`, error);
    }
  }

  // -------------------------------------------------------------------- state

  #update(reducer: (state: ChatState) => StatePatch): void {
    const patch = reducer(this.store.getState());
    if (patch) this.store.setState(patch);
  }
}
