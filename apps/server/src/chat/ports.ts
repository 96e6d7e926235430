/**
 * Everything the chat depends on, in one place: what it needs from storage,
 * from the other server processes, from a connection and from time. The
 * chat owns these interfaces; the adapters (`sqlite/`, `redis/`, `local/`,
 * `ws/`) implement them and import nothing else from `chat/`. So the chat
 * never sees a socket library or a database client, and a new backend is a
 * new folder, not a change here.
 */
import type {
  CloseCode,
  ERROR_CODES,
  Joined,
  Message,
  ReplyRef,
  ServerMessage,
  User,
} from '@tether/protocol';

// ---------------------------------------------------------------- time

/** Time, injected so tests can move it. */
export interface Clock {
  /** Wall-clock ms since the Unix epoch: timestamps and expiries, what other processes and the database share. */
  now(): number;
  /**
   * Monotonic ms (`performance.now()`): durations, budgets, throttles and
   * liveness. A wall clock stepped by NTP or by hand (a minute forward, an
   * hour back) must neither cut a healthy connection nor keep a dead one,
   * nor refill or starve a budget.
   */
  monotonic(): number;
}

// ---------------------------------------------------------------- connections

/** A server message encoded for the wire, shareable between recipients. */
export interface Frame {
  readonly byteLength: number;
}

export type FrameEncoder = (message: ServerMessage) => Frame;

/** Encodes a `joined` answer around a member list already encoded (MemberList.encoded). */
export type JoinedEncoder = (joined: Omit<Joined, 'type' | 'members'>, members: readonly Buffer[]) => Frame;

/** What the chat needs from a connection, and nothing more. */
export interface Peer {
  /** Unique per process, for logs and maps. */
  readonly id: number;
  /** The client's address (budgets that create things are kept per address). */
  readonly address: string;
  /** Bytes written to this peer and not yet sent. */
  readonly unsentBytes: number;
  /** Resolves when the peer has sent what was queued (or is gone). */
  whenDrained(): Promise<void>;
  /**
   * Queues a frame; frames go out in the order written. A frame that may
   * wait (`soon`: presence, typing) goes out with the next urgent one, or
   * within a few tens of milliseconds: in a room of thousands, a burst of
   * joins then costs each socket one write per interval, not one per join.
   */
  write(frame: Frame, soon?: boolean): void;
  /** Sends what is queued, then closes with `code`. */
  close(code: CloseCode, reason: string): void;
}

/** The chat's side of one connection, as the transport sees it. */
export interface ConnectionSession {
  /** Hands one text frame from the client to the chat. */
  receive(raw: string): void;
  /** The connection is gone; `clean` for closes the client chose (1000, 1001). */
  end(clean: boolean): void;
}

/** Where the transport brings each accepted connection. */
export interface Chat {
  open(peer: Peer): ConnectionSession;
}

// ---------------------------------------------------------------- storage

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
  /** The message it answers, as read when the send was taken (only its seq is stored). */
  replyTo?: ReplyRef | undefined;
}

/** What a change does to its target. */
export type ChangeOp =
  { kind: 'edit'; text: string } | { kind: 'delete' } | { kind: 'react'; emoji: string; on: boolean };

export interface NewChange {
  room: string;
  /** The request's id: the idempotency key with `from.id`, in the same space as sends'. */
  id: string;
  from: User;
  /** The seq of the message it changes. */
  target: number;
  op: ChangeOp;
  ts: number;
}

/** Refusals a change can only get when it is stored: they depend on the state it meets. */
export type ChangeRefusal =
  typeof ERROR_CODES.NOT_FOUND | typeof ERROR_CODES.FORBIDDEN | typeof ERROR_CODES.TOO_MANY_REACTIONS;

export type ChangeOutcome =
  /** A new event of the room: `seq` is its seq, `message` the target's state after it (or later). */
  | { kind: 'changed'; seq: number; ts: number; message: Message }
  /** It changed nothing: answered with the message's current rev; remembered for resends. */
  | { kind: 'unchanged'; ack: AckRecord }
  /** The (user, id) pair answered before (a send or a change): the first ack. */
  | { kind: 'duplicate'; ack: AckRecord }
  | { kind: 'refused'; code: ChangeRefusal };

/** One seq of a room's event stream: a new message, or a change of an older one. */
export type RoomEvent =
  | { kind: 'message'; message: Message }
  /** `seq` is the event's; `message` the state of the message it changed, as of then or later. */
  | { kind: 'update'; seq: number; message: Message }
  /**
   * A change of a message that retention removed since: nothing is left to
   * show, and delivery moves past its seq instead of waiting for it forever.
   */
  | { kind: 'gone'; seq: number };

/** An event as a process commits it and the bus carries it. */
export type LiveEvent = Exclude<RoomEvent, { kind: 'gone' }>;

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

/** Which rooms a `rooms` page lists. */
export interface RoomQuery {
  /** Names starting with this (`''` for every name). */
  prefix: string;
  /** Only names after this one. */
  after: string | undefined;
  limit: number;
  /** A room with no message is listed only if someone joined it since this time (ms). */
  activeSince: number;
}

export interface RoomListing {
  /** In name order. */
  rooms: RoomState[];
  /** More rooms match after the last one. */
  hasMore: boolean;
}

/** What a sweep removes; see ChatStore.sweep. */
export interface SweepPlan {
  /** Users whose token expired before this (ms) are deleted… */
  usersExpiredBefore: number;
  /** …but never these: they are connected (their touches may still be on the way). */
  liveUsers: readonly string[];
  /** These rooms are deleted if they still hold no message and nobody joined them since `emptyRoomsIdleBefore`. */
  emptyRooms: readonly string[];
  emptyRoomsIdleBefore: number;
  /** Messages older than this (ms) are deleted, per room; `default` for rooms not listed. */
  retention: { default: number | undefined; rooms: ReadonlyMap<string, number> };
}

export interface SweepResult {
  users: number;
  rooms: number;
  messages: number;
}

export interface MessagePage {
  /** Ascending by seq. */
  messages: Message[];
  /** Older messages exist before `messages[0]`. */
  hasMore: boolean;
}

/**
 * Durable state: users, tokens, rooms and their messages. Every method is
 * async, so an embedded database and one across the network both fit.
 */
export interface ChatStore {
  /** Creates a user holding `nameKey`; `null` when a live user holds it. */
  createUser(input: NewUser): Promise<User | null>;
  /** The user of a live token, its expiry moved to `expiresAt`; `null` if unknown or expired. */
  resumeSession(tokenHash: string, now: number, expiresAt: number): Promise<User | null>;
  /**
   * Moves the users' token expiry (and their names') to `expiresAt`: they are
   * in use. Written with the next group commit; nothing waits for it.
   */
  touchUsers(userIds: readonly string[], expiresAt: number): void;
  /** Renames a user; `false` when a live user holds the new key. */
  renameUser(userId: string, name: string, nameKey: string, now: number): Promise<boolean>;

  /** The room's state, created (seq 0, new epoch) if it does not exist; `now` records the join. */
  openRoom(room: string, now: number): Promise<RoomState>;
  /** The room's state, or null if it does not exist. */
  findRoom(room: string): Promise<RoomState | null>;
  /**
   * Starts a new epoch for the room, keeping its seq and messages: its
   * counter went back (the store was restored from an older snapshot) and
   * clients must drop what they kept of it.
   */
  newEpoch(room: string): Promise<RoomState>;
  /** A page of rooms in name order (empty rooms nobody joined lately left out). */
  listRooms(query: RoomQuery): Promise<RoomListing>;
  /** Rooms with no message that nobody joined since `idleBefore`: candidates for `sweep`. */
  idleEmptyRooms(idleBefore: number, limit: number): Promise<string[]>;
  /** Deletes expired users, idle empty rooms and messages past their retention. */
  sweep(plan: SweepPlan): Promise<SweepResult>;

  /**
   * Stores a message durably, or finds the earlier one with the same
   * (from.id, id). Resolves only after the data is on disk. The stored
   * message carries the name its sender holds at the commit (a rename may
   * have committed since the caller read `from.name`).
   */
  append(message: NewMessage): Promise<AppendOutcome>;
  /**
   * Applies a change in the same group commit as appends (a batch holds both,
   * in arrival order), or finds the earlier answer to the same (from.id, id).
   * The rules that depend on the state (target exists, author, tombstone,
   * emoji limit, no-op) are checked in the commit. Resolves after it is on disk.
   */
  change(change: NewChange): Promise<ChangeOutcome>;
  /** The ack of an earlier send or change of this user with this id, if any. */
  findAck(userId: string, id: string): Promise<AckRecord | null>;
  /** A message of the room in its current state, or null. */
  message(room: string, seq: number): Promise<Message | null>;
  /**
   * The room's events with seq > since, ascending, at most `limit`: what
   * fills a gap in live delivery. Each carries its message's current state.
   */
  events(room: string, since: number, limit: number): Promise<RoomEvent[]>;

  /** The latest `limit` messages, in their current state. */
  latest(room: string, limit: number): Promise<MessagePage>;
  /**
   * Messages with rev > since (new, or changed since): the `limit` of them
   * with the highest seqs, ascending, in their current state; `hasMore` when
   * others were left out (all with lower seqs).
   */
  after(room: string, since: number, limit: number): Promise<MessagePage>;
  /** Up to `limit` messages with seq < before, the newest of them. */
  before(room: string, before: number, limit: number): Promise<MessagePage>;

  /** Resolves when the store answers (readiness probe). */
  check(): Promise<void>;
  /** Commits what is pending, then releases the store. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------- other processes

/**
 * What one process tells the others. A process delivers its own commits and
 * typing to its own connections directly; the bus carries only what the
 * other processes must hear.
 */
export type BusEvent =
  /** A committed message, for every connection in its room. */
  | { kind: 'message'; message: Message }
  /** A committed change (event `seq`), for every connection in its room. */
  | { kind: 'update'; seq: number; message: Message }
  /** A typing signal, for every connection in the room (the sender is on another process). */
  | { kind: 'typing'; room: string; user: User }
  /** A user's membership of a room may have changed on some process: look again. */
  | { kind: 'presence'; room: string; userId: string }
  /** The room's history has a new epoch: every process reloads its connections in it. */
  | { kind: 'reset'; room: string }
  /** A user took a new name: every process updates their sessions and member records. */
  | { kind: 'renamed'; user: User };

export interface BusListener {
  /** An event from another process. */
  event(event: BusEvent): void;
  /** Events may have been lost (the subscription was down): catch up from the store. */
  missed(): void;
}

/** Fan-out between server processes. */
export interface Bus {
  /** Tells every other process; never this one. Best effort: presence is re-read regularly. */
  publish(event: BusEvent): void;
  subscribe(listener: BusListener): void;
  /** Resolves while events flow (readiness probe). */
  check(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Who is in a room across every server process. Each process records the
 * users it holds as members (connected, or inside their grace period); a
 * room's members are the union.
 */
export interface MembershipDirectory {
  /**
   * Other processes write it too (Redis): what this process holds of a room
   * can lag behind it, and a join reads it afresh.
   */
  readonly shared: boolean;
  /** This process holds `user` as a member of `room` from now on (or no longer). */
  set(room: string, user: User, present: boolean): Promise<void>;
  /** The room's members on every process, each user once. */
  members(room: string): Promise<User[]>;
  /** Member counts of several rooms. */
  counts(rooms: readonly string[]): Promise<Map<string, number>>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------- settings

/** The operator's settings the chat applies (parsed and validated in config.ts). */
export interface ChatSettings {
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  helloTimeoutMs: number;
  presenceGraceMs: number;
  tokenTtlDays: number;
  /** Budgets (docs/protocol.md, "Budgets"). */
  rateLimitPerSec: number;
  rateLimitBurst: number;
  joinLimitPerSec: number;
  joinLimitBurst: number;
  readLimitPerSec: number;
  readLimitBurst: number;
  frameLimitPerSec: number;
  frameLimitBurst: number;
  newUsersPerHour: number;
  newRoomsPerHour: number;
  renamesPerHour: number;
  /** An empty room nobody joined for this long is no longer listed, and is swept. */
  emptyRoomTtlHours: number;
  /** Messages older than this are swept; 0 keeps everything. */
  historyRetentionDays: number;
  /** The same per room, overriding it (0: keep everything in that room). */
  roomRetentionDays: ReadonlyMap<string, number>;
  /** Told to clients in the restart hint: about how long until a restarted server is back. */
  restartRetryMs: number;
}
