/**
 * The storage interface the chat logic depends on. SQLite implements it for a
 * single process; a Redis implementation lets several processes share a chat.
 * Every method is async so that either can sit behind it.
 */
import type { Message, User } from '@tether/protocol';

export interface NewUser {
  now: number;
  name: string;
  nameKey: string;
  tokenHash: string;
  expiresAt: number;
}

export interface RoomState {
  name: string;
  /** One lifetime of the room's history; changes if the history is reset. */
  epoch: string;
  /** Latest seq, 0 for an empty room. */
  seq: number;
}

export interface NewMessage {
  room: string;
  /** The sender's id for this message: the idempotency key with `from.id`. */
  id: string;
  from: User;
  text: string;
  ts: number;
}

export interface AckRecord {
  room: string;
  id: string;
  seq: number;
  ts: number;
}

export type AppendOutcome =
  | { kind: 'stored'; message: Message }
  /** The (user, id) pair was stored before: answer with the first ack. */
  | { kind: 'duplicate'; ack: AckRecord };

export interface MessagePage {
  /** Ascending by seq. */
  messages: Message[];
  /** Older messages exist before `messages[0]`. */
  hasMore: boolean;
}

export interface ChatStore {
  /** Creates a user holding `nameKey`; `null` when a live user holds it. */
  createUser(input: NewUser): Promise<User | null>;
  /** The user of a live token, its expiry moved to `expiresAt`; `null` if unknown or expired. */
  resumeSession(tokenHash: string, now: number, expiresAt: number): Promise<User | null>;
  /** Renames a user; `false` when a live user holds the new key. */
  renameUser(userId: string, name: string, nameKey: string, now: number): Promise<boolean>;

  /** The room's state, created (seq 0, new epoch) if it does not exist. */
  openRoom(room: string): Promise<RoomState>;
  listRooms(): Promise<RoomState[]>;

  /**
   * Stores a message durably, or finds the earlier one with the same
   * (from.id, id). Resolves only after the data is on disk.
   */
  append(message: NewMessage): Promise<AppendOutcome>;
  /** The ack of an earlier message of this user with this id, if any. */
  findAck(userId: string, id: string): Promise<AckRecord | null>;

  /** The latest `limit` messages. */
  latest(room: string, limit: number): Promise<MessagePage>;
  /** Messages with seq > since: the latest `limit` of them. */
  after(room: string, since: number, limit: number): Promise<MessagePage>;
  /** Up to `limit` messages with seq < before, the newest of them. */
  before(room: string, before: number, limit: number): Promise<MessagePage>;

  /** Resolves when the store answers (readiness probe). */
  check(): Promise<void>;
  /** Commits what is pending, then releases the store. */
  close(): Promise<void>;
}
