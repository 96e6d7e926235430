/**
 * What survives a reload, in browser storage: the session (token, user), the
 * rooms joined and the current one, the outbox, and the latest messages of each
 * room. Every value is JSON wrapped as `{"v":1,"data":…}`; a value that does
 * not parse, has another version or the wrong shape reads as absent, so a
 * corrupt entry costs that entry and never the app. Storage that throws
 * (quota, disabled, private mode) is logged and otherwise ignored.
 */
import type { Message, User } from '@tether/protocol';
import { isValidRoomName } from '@tether/protocol/rules';

// Types only: the browser's storage and timers are passed in by the client.
import type { KeyValueStorage, Logger, TimerHandle, Timers } from '../net/env';
import { NO_MESSAGES, latestMessages, mergeMessages, newestSeq } from './messages';
import type { RoomMessages } from './messages';
import { parseOutbox } from './outbox';
import { emptyRoom, outboxSlice } from './reducers';
import type { ChatStateStore } from './store';
import { STORED_MESSAGES_PER_ROOM } from './types';
import { parseReadingPosition } from './reading';
import type { ChatState, OutboxItem, ReadingPosition, ReadingSlice, RoomView, RoomsSlice } from './types';

const VERSION = 1;

export const STORAGE_KEYS = {
  session: 'tether:session',
  rooms: 'tether:rooms',
  outbox: 'tether:outbox',
  messages: (room: string) => `tether:messages:${room}`,
} as const;

export interface PersistedSession {
  token: string | null;
  user: User | null;
  /** The last name used, to prefill the name picker. */
  name: string | null;
  /** The last welcome said the server serves changes (edit, delete, react, reply). */
  changes?: boolean;
}

export interface PersistedRoom {
  epoch: string | null;
  seq: number;
  unread: number;
  hasMore: boolean;
  /** The resume point (`RoomView.stream`); absent when stored before it existed. */
  stream?: number;
  /** Where the room was being read (absent: never scrolled, or stored before positions were). */
  position?: ReadingPosition;
}

export interface PersistedRooms {
  order: string[];
  current: string | null;
  /** In storage a JSON object keyed by room name (read back with `Object.entries`: own keys only). */
  rooms: ReadonlyMap<string, PersistedRoom>;
}

export interface PersistedMessages {
  messages: RoomMessages;
  /** Older messages than the ones stored exist (we stored only the latest). */
  truncated: boolean;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

export function isUser(value: unknown): value is User {
  return isRecord(value) && typeof value.id === 'string' && typeof value.name === 'string';
}

function isPositiveInteger(value: unknown): value is number {
  return isNonNegativeInteger(value) && value >= 1;
}

function isReplyRef(value: unknown): boolean {
  return (
    isRecord(value) && isPositiveInteger(value.seq) && isUser(value.from) && typeof value.text === 'string'
  );
}

function isReaction(value: unknown): boolean {
  return (
    isRecord(value) &&
    typeof value.emoji === 'string' &&
    isPositiveInteger(value.count) &&
    Array.isArray(value.users) &&
    value.users.every((user) => typeof user === 'string')
  );
}

export function isMessage(value: unknown): value is Message {
  return (
    isRecord(value) &&
    typeof value.room === 'string' &&
    isPositiveInteger(value.seq) &&
    isNonNegativeInteger(value.ts) &&
    typeof value.id === 'string' &&
    isUser(value.from) &&
    typeof value.text === 'string' &&
    // The fields of changes (section 17): the row renders them, so a corrupt
    // one costs the message, never the list.
    (value.rev === undefined || isPositiveInteger(value.rev)) &&
    (value.edited === undefined || isNonNegativeInteger(value.edited)) &&
    (value.deleted === undefined || value.deleted === true) &&
    (value.replyTo === undefined || isReplyRef(value.replyTo)) &&
    (value.reactions === undefined || (Array.isArray(value.reactions) && value.reactions.every(isReaction)))
  );
}

function parseSession(data: unknown): PersistedSession {
  if (!isRecord(data)) return { token: null, user: null, name: null };
  const token = typeof data.token === 'string' && data.token !== '' ? data.token : null;
  const user = isUser(data.user) ? { id: data.user.id, name: data.user.name } : null;
  const name = typeof data.name === 'string' && data.name !== '' ? data.name : (user?.name ?? null);
  // A token without its user cannot show the chat before `welcome`; keep the
  // token anyway, the server knows who it is.
  return data.changes === true ? { token, user, name, changes: true } : { token, user, name };
}

function parseRooms(data: unknown): PersistedRooms {
  const empty: PersistedRooms = { order: [], current: null, rooms: new Map() };
  if (!isRecord(data) || !Array.isArray(data.order) || !isRecord(data.rooms)) return empty;
  // Own keys only: `data.rooms["constructor"]` would be Object's for a room
  // that has no entry, and `"toString" in {}` is true.
  const stored = new Map(Object.entries(data.rooms));
  const order: string[] = [];
  const rooms = new Map<string, PersistedRoom>();
  for (const name of data.order) {
    if (typeof name !== 'string' || !isValidRoomName(name) || rooms.has(name)) continue;
    const saved = stored.get(name);
    const room: PersistedRoom = { epoch: null, seq: 0, unread: 0, hasMore: false };
    if (isRecord(saved)) {
      if (typeof saved.epoch === 'string') room.epoch = saved.epoch;
      if (isNonNegativeInteger(saved.seq)) room.seq = saved.seq;
      if (isNonNegativeInteger(saved.unread)) room.unread = saved.unread;
      if (typeof saved.hasMore === 'boolean') room.hasMore = saved.hasMore;
      if (isNonNegativeInteger(saved.stream)) room.stream = saved.stream;
      const position = parseReadingPosition(saved.position);
      if (position) room.position = position;
    }
    order.push(name);
    rooms.set(name, room);
  }
  const current = typeof data.current === 'string' && rooms.has(data.current) ? data.current : null;
  return { order, current, rooms };
}

function parseMessages(room: string, data: unknown): PersistedMessages {
  if (!isRecord(data) || !Array.isArray(data.messages)) return { messages: NO_MESSAGES, truncated: false };
  const valid = data.messages.filter((m): m is Message => isMessage(m) && m.room === room);
  return { messages: mergeMessages(NO_MESSAGES, valid), truncated: data.truncated === true };
}

/** Typed, versioned, fault-tolerant access to the chat's keys in one storage. */
export class ChatStorage {
  readonly #storage: KeyValueStorage | null;
  readonly #log: Logger;
  /** Rooms whose messages may be stored, so they can be evicted when space runs out. */
  readonly #messageRooms = new Set<string>();

  constructor(storage: KeyValueStorage | null, log: Logger) {
    this.#storage = storage;
    this.#log = log;
  }

  loadSession(): PersistedSession {
    return parseSession(this.#read(STORAGE_KEYS.session));
  }

  saveSession(session: PersistedSession): void {
    this.#write(STORAGE_KEYS.session, session);
  }

  loadRooms(): PersistedRooms {
    const rooms = parseRooms(this.#read(STORAGE_KEYS.rooms));
    for (const name of rooms.order) this.#messageRooms.add(name);
    return rooms;
  }

  saveRooms(rooms: RoomsSlice, reading: ReadingSlice = { byRoom: new Map() }): void {
    const saved: [string, PersistedRoom][] = [];
    for (const name of rooms.order) {
      const view = rooms.byName.get(name);
      if (!view) continue;
      const room: PersistedRoom = {
        epoch: view.epoch,
        seq: view.seq,
        unread: view.unread,
        hasMore: view.hasMore,
      };
      if (view.stream !== null) room.stream = view.stream;
      const position = reading.byRoom.get(name);
      if (position) room.position = position;
      saved.push([name, room]);
    }
    // `Object.fromEntries` defines own properties, "__proto__" included, which
    // JSON writes and reads back as an ordinary key.
    const data = { order: rooms.order, current: rooms.current, rooms: Object.fromEntries(saved) };
    this.#write(STORAGE_KEYS.rooms, data);
  }

  loadOutbox(): OutboxItem[] {
    return parseOutbox(this.#read(STORAGE_KEYS.outbox));
  }

  /**
   * The outbox matters more than any cached message: when storage is full the
   * message caches go, and the outbox is written again.
   */
  saveOutbox(items: readonly OutboxItem[]): void {
    if (this.#write(STORAGE_KEYS.outbox, items)) return;
    for (const room of this.#messageRooms) this.removeMessages(room);
    if (!this.#write(STORAGE_KEYS.outbox, items)) this.#log.warn('tether: the outbox could not be stored');
  }

  loadMessages(room: string): PersistedMessages {
    this.#messageRooms.add(room);
    return parseMessages(room, this.#read(STORAGE_KEYS.messages(room)));
  }

  /** Keeps the latest `limit` messages of the room. */
  saveMessages(room: string, held: RoomMessages, limit: number = STORED_MESSAGES_PER_ROOM): void {
    const messages = latestMessages(held, limit);
    if (messages.length === 0) {
      this.removeMessages(room);
      return;
    }
    this.#messageRooms.add(room);
    const truncated = Object.keys(held).length > messages.length;
    this.#write(STORAGE_KEYS.messages(room), { messages, truncated });
  }

  removeMessages(room: string): void {
    this.#messageRooms.delete(room);
    this.#remove(STORAGE_KEYS.messages(room));
  }

  /** Forgets everything (sign-out). */
  clear(): void {
    for (const room of [...this.#messageRooms]) this.removeMessages(room);
    this.#remove(STORAGE_KEYS.session);
    this.#remove(STORAGE_KEYS.rooms);
    this.#remove(STORAGE_KEYS.outbox);
  }

  #read(key: string): unknown {
    let raw: string | null;
    try {
      raw = this.#storage?.getItem(key) ?? null;
    } catch (error) {
      this.#log.warn(`tether: could not read ${key}`, error);
      return undefined;
    }
    if (raw === null) return undefined;
    try {
      const envelope: unknown = JSON.parse(raw);
      return isRecord(envelope) && envelope.v === VERSION ? envelope.data : undefined;
    } catch {
      return undefined;
    }
  }

  #write(key: string, data: unknown): boolean {
    if (!this.#storage) return true;
    try {
      this.#storage.setItem(key, JSON.stringify({ v: VERSION, data }));
      return true;
    } catch (error) {
      this.#log.warn(`tether: could not store ${key}`, error);
      return false;
    }
  }

  #remove(key: string): void {
    try {
      this.#storage?.removeItem(key);
    } catch (error) {
      this.#log.warn(`tether: could not remove ${key}`, error);
    }
  }
}

/** The state a reload starts from: the chat as it was left, nothing connected. */
export function restoreState(storage: ChatStorage): { session: PersistedSession; state: Partial<ChatState> } {
  const session = storage.loadSession();
  const saved = storage.loadRooms();
  const byName = new Map<string, RoomView>();
  const byRoom = new Map<string, RoomMessages>();
  const positions = new Map<string, ReadingPosition>();
  for (const name of saved.order) {
    const room = saved.rooms.get(name) ?? { epoch: null, seq: 0, unread: 0, hasMore: false };
    const { messages, truncated } = storage.loadMessages(name);
    const newest = newestSeq(messages) ?? 0;
    byName.set(name, {
      ...emptyRoom(name),
      epoch: room.epoch,
      seq: Math.max(room.seq, newest),
      unread: room.unread,
      hasMore: room.hasMore || truncated,
      stream: room.stream ?? null,
    });
    if (messages !== NO_MESSAGES) byRoom.set(name, messages);
    if (room.position) positions.set(name, room.position);
  }
  return {
    session,
    state: {
      session: {
        user: session.user,
        pendingName: null,
        nameError: null,
        nameErrorWaitMs: null,
        suggestedName: session.name,
        changes: session.changes === true,
      },
      rooms: { order: saved.order, current: saved.current ?? saved.order[0] ?? null, byName },
      messages: { byRoom },
      outbox: outboxSlice(storage.loadOutbox()),
      reading: { byRoom: positions },
    },
  };
}

export interface PersistenceBinding {
  /** Writes what is pending now (page hide, stop). */
  flush(): void;
  dispose(): void;
}

/**
 * Writes the store to storage as it changes. The outbox is written at once: a
 * message the person sent must survive a reload in the next instant. Rooms
 * and messages change with every incoming message, so they are written at
 * most once per `delayMs`, and on `flush`.
 */
export function bindPersistence(
  store: ChatStateStore,
  storage: ChatStorage,
  timers: Timers,
  delayMs = 500,
): PersistenceBinding {
  let timer: TimerHandle | undefined;
  let roomsDirty = false;
  const dirtyRooms = new Set<string>();

  const flush = () => {
    if (timer !== undefined) timers.clearTimeout(timer);
    timer = undefined;
    const state = store.getState();
    if (roomsDirty) storage.saveRooms(state.rooms, state.reading);
    for (const room of dirtyRooms) {
      const held = state.messages.byRoom.get(room);
      if (held && state.rooms.byName.has(room)) storage.saveMessages(room, held);
      else storage.removeMessages(room);
    }
    roomsDirty = false;
    dirtyRooms.clear();
  };

  const unsubscribe = store.subscribe((state, previous) => {
    if (state.outbox.items !== previous.outbox.items) storage.saveOutbox(state.outbox.items);
    if (state.rooms !== previous.rooms || state.reading !== previous.reading) roomsDirty = true;
    if (state.messages.byRoom !== previous.messages.byRoom) {
      for (const [room, held] of state.messages.byRoom) {
        if (previous.messages.byRoom.get(room) !== held) dirtyRooms.add(room);
      }
      for (const room of previous.messages.byRoom.keys()) {
        if (!state.messages.byRoom.has(room)) dirtyRooms.add(room);
      }
    }
    if ((roomsDirty || dirtyRooms.size > 0) && timer === undefined) {
      timer = timers.setTimeout(flush, delayMs);
    }
  });

  return {
    flush,
    dispose() {
      flush();
      unsubscribe();
    },
  };
}
