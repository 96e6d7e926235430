/**
 * One TypeBox schema per wire message of protocol v1. The TypeScript types are
 * inferred from these schemas (see `types.ts`), never written twice.
 *
 * Field rules that need their own error code (a room name that does not match
 * the pattern is `invalid_room`, not `bad_request`) are checked by the
 * validators in `rules.ts`; the schemas here only decide the shape.
 */
import { Type, type TSchema } from '@sinclair/typebox';

import { ERROR_CODES, LIMITS } from './constants.js';

// Integers beyond 2^53 cannot be told apart after JSON.parse: refuse them.
const Int = (options: { minimum?: number; maximum?: number } = {}) =>
  Type.Integer({ maximum: Number.MAX_SAFE_INTEGER, ...options });

// ---------- shared parts ----------

export const UserSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
});

/** The message a reply answers, as it is when the reply is read. */
export const ReplyRefSchema = Type.Object({
  seq: Int({ minimum: 1 }),
  from: UserSchema,
  /** The first REPLY_SNIPPET_CHARS code points of its text; `""` once it is deleted. */
  text: Type.String(),
});

export const ReactionSchema = Type.Object({
  emoji: Type.String(),
  /** Exactly how many users reacted with it. */
  count: Int({ minimum: 1 }),
  /** At most MAX_REACTION_USERS user ids, earliest first. */
  users: Type.Array(Type.String()),
});

export const MessageSchema = Type.Object({
  room: Type.String(),
  seq: Int({ minimum: 1 }),
  ts: Int({ minimum: 0 }),
  id: Type.String(),
  from: UserSchema,
  text: Type.String(),
  /**
   * The seq of the last event that changed the message (`seq` when never
   * changed). Optional only so that a client accepts an older server, which
   * leaves it out: read a missing `rev` as `seq`.
   */
  rev: Type.Optional(Int({ minimum: 1 })),
  /** When last edited (ms); absent when never edited and on a tombstone. */
  edited: Type.Optional(Int({ minimum: 0 })),
  /** Only on a tombstone: the text is `""`, and no reactions or edit time remain. */
  deleted: Type.Optional(Type.Literal(true)),
  replyTo: Type.Optional(ReplyRefSchema),
  /** Each emoji in the order it was first used; absent when there are none. */
  reactions: Type.Optional(Type.Array(ReactionSchema)),
});

export const RoomSummarySchema = Type.Object({
  name: Type.String(),
  members: Int({ minimum: 0 }),
  seq: Int({ minimum: 0 }),
});

// ---------- client → server ----------

export const HelloSchema = Type.Object({
  type: Type.Literal('hello'),
  v: Type.Number(),
  name: Type.String(),
  token: Type.Optional(Type.String()),
});

export const JoinSchema = Type.Object({
  type: Type.Literal('join'),
  room: Type.String(),
  since: Type.Optional(Int({ minimum: 0 })),
  epoch: Type.Optional(Type.String()),
});

export const LeaveSchema = Type.Object({
  type: Type.Literal('leave'),
  room: Type.String(),
});

export const ListRoomsSchema = Type.Object({
  type: Type.Literal('rooms'),
  /** Only rooms whose name starts with this (room-name characters only; empty matches all). */
  prefix: Type.Optional(Type.String({ maxLength: LIMITS.MAX_PREFIX_CHARS, pattern: '^[a-z0-9_-]*$' })),
  /** Only rooms whose name sorts after this one: the last name of the previous page. */
  after: Type.Optional(Type.String({ maxLength: LIMITS.MAX_PREFIX_CHARS })),
  limit: Type.Optional(Int({ minimum: 1, maximum: LIMITS.ROOMS_PAGE_LIMIT })),
});

export const MembersRequestSchema = Type.Object({
  type: Type.Literal('members'),
  room: Type.String(),
  /** Only members whose name starts with this, compared as names are (case and width folded). */
  prefix: Type.Optional(Type.String({ maxLength: 2 * LIMITS.MAX_PREFIX_CHARS })),
  /** The `next` of the previous page (opaque). */
  after: Type.Optional(Type.String({ maxLength: 256 })),
  limit: Type.Optional(Int({ minimum: 1, maximum: LIMITS.MEMBERS_PAGE_LIMIT })),
});

const RequestId = () =>
  Type.String({
    minLength: 1,
    maxLength: LIMITS.MAX_MESSAGE_ID_CHARS,
    pattern: '^[A-Za-z0-9_-]+$',
  });

export const SendSchema = Type.Object({
  type: Type.Literal('send'),
  room: Type.String(),
  id: RequestId(),
  text: Type.String(),
  /** The seq of the message of this room it answers. */
  replyTo: Type.Optional(Int({ minimum: 1 })),
});

/** Changes a message's text: its author only. `id` is in the same id space as `send`'s. */
export const EditSchema = Type.Object({
  type: Type.Literal('edit'),
  room: Type.String(),
  id: RequestId(),
  target: Int({ minimum: 1 }),
  text: Type.String(),
});

/** Leaves a tombstone in the message's place and erases its text and reactions. */
export const DeleteSchema = Type.Object({
  type: Type.Literal('delete'),
  room: Type.String(),
  id: RequestId(),
  target: Int({ minimum: 1 }),
});

/** Adds (`on: true`) or removes the user's reaction with `emoji`. */
export const ReactSchema = Type.Object({
  type: Type.Literal('react'),
  room: Type.String(),
  id: RequestId(),
  target: Int({ minimum: 1 }),
  emoji: Type.String(),
  on: Type.Boolean(),
});

export const HistoryRequestSchema = Type.Object({
  type: Type.Literal('history'),
  room: Type.String(),
  before: Type.Optional(Int({ minimum: 0 })),
  limit: Type.Optional(Int({ minimum: 1, maximum: LIMITS.HISTORY_MAX_LIMIT })),
});

export const TypingRequestSchema = Type.Object({
  type: Type.Literal('typing'),
  room: Type.String(),
});

export const PingSchema = Type.Object({
  type: Type.Literal('ping'),
  t: Type.Number(),
});

/** Every client → server message, discriminated on `type`. */
export const ClientMessageSchema = Type.Union([
  HelloSchema,
  JoinSchema,
  LeaveSchema,
  ListRoomsSchema,
  SendSchema,
  HistoryRequestSchema,
  TypingRequestSchema,
  PingSchema,
  MembersRequestSchema,
  EditSchema,
  DeleteSchema,
  ReactSchema,
]);

/** The schema of each client message by its `type`, for O(1) dispatch. */
export const CLIENT_SCHEMAS = {
  hello: HelloSchema,
  join: JoinSchema,
  leave: LeaveSchema,
  rooms: ListRoomsSchema,
  send: SendSchema,
  history: HistoryRequestSchema,
  typing: TypingRequestSchema,
  ping: PingSchema,
  members: MembersRequestSchema,
  edit: EditSchema,
  delete: DeleteSchema,
  react: ReactSchema,
} as const satisfies Record<string, TSchema>;

// ---------- server → client ----------

export const WelcomeLimitsSchema = Type.Object({
  /** Sends (and, later, other changes) a second per user, refilled continuously. */
  sendsPerSec: Int({ minimum: 1 }),
  /** Sends a user may make at once before the rate applies. */
  burst: Int({ minimum: 1 }),
});

export const WelcomeSchema = Type.Object({
  type: Type.Literal('welcome'),
  v: Type.Literal(1),
  user: UserSchema,
  token: Type.String(),
  heartbeat: Type.Object({
    intervalMs: Int({ minimum: 1 }),
    timeoutMs: Int({ minimum: 1 }),
  }),
  /**
   * The per-user send rate in force, so a client paces its outbox by the
   * server's setting. Added to version 1: a server older than it leaves it
   * out, and a client then paces by its own guess.
   */
  limits: Type.Optional(WelcomeLimitsSchema),
  /** What this server does beyond the first version 1 (FEATURES); absent on an older server. */
  features: Type.Optional(Type.Array(Type.String())),
});

export const RoomListSchema = Type.Object({
  type: Type.Literal('rooms'),
  rooms: Type.Array(RoomSummarySchema),
  /** More rooms match after the last one here: ask again with `after` set to its name. */
  hasMore: Type.Optional(Type.Boolean()),
  /** The request's `prefix` and `after`, as asked: which page this is. */
  prefix: Type.Optional(Type.String()),
  after: Type.Optional(Type.String()),
});

export const JoinedSchema = Type.Object({
  type: Type.Literal('joined'),
  room: Type.String(),
  epoch: Type.String(),
  seq: Int({ minimum: 0 }),
  members: Type.Array(UserSchema),
  /** How many members the room has; more than `members.length` in a big room. */
  memberCount: Type.Optional(Int({ minimum: 0 })),
  /** In a big room: where the `members` pages continue after those here (send it as `after`). */
  membersNext: Type.Optional(Type.String()),
  messages: Type.Array(MessageSchema),
  hasMore: Type.Boolean(),
});

export const LeftSchema = Type.Object({
  type: Type.Literal('left'),
  room: Type.String(),
});

export const AckSchema = Type.Object({
  type: Type.Literal('ack'),
  room: Type.String(),
  id: Type.String(),
  seq: Int({ minimum: 1 }),
  ts: Int({ minimum: 0 }),
});

export const MessageEventSchema = Type.Composite([
  Type.Object({ type: Type.Literal('message') }),
  MessageSchema,
]);

/** A message changed: event `seq` of the room, and the whole message in its new state. */
export const UpdateSchema = Type.Object({
  type: Type.Literal('update'),
  room: Type.String(),
  seq: Int({ minimum: 1 }),
  message: MessageSchema,
});

export const HistoryPageSchema = Type.Object({
  type: Type.Literal('history'),
  room: Type.String(),
  messages: Type.Array(MessageSchema),
  hasMore: Type.Boolean(),
});

export const PresenceSchema = Type.Object({
  type: Type.Literal('presence'),
  room: Type.String(),
  user: UserSchema,
  state: Type.Union([Type.Literal('joined'), Type.Literal('left')]),
});

export const TypingEventSchema = Type.Object({
  type: Type.Literal('typing'),
  room: Type.String(),
  user: UserSchema,
});

export const MemberPageSchema = Type.Object({
  type: Type.Literal('members'),
  room: Type.String(),
  /** In name order (as names are compared). */
  members: Type.Array(UserSchema),
  /** The room's members in all. */
  count: Int({ minimum: 0 }),
  hasMore: Type.Boolean(),
  /** With `hasMore`: pass it back as `after` for the next page. */
  next: Type.Optional(Type.String()),
  /** The request's `prefix` and `after`, as asked: which page this is. */
  prefix: Type.Optional(Type.String()),
  after: Type.Optional(Type.String()),
});

export const RenamedSchema = Type.Object({
  type: Type.Literal('renamed'),
  /** The user, under the name they hold from now on. */
  user: UserSchema,
});

export const RosterSchema = Type.Object({
  type: Type.Literal('roster'),
  room: Type.String(),
  /** The room's members in all. */
  count: Int({ minimum: 0 }),
  /**
   * Present when the room is small (again): every member. Presence frames
   * follow from here on. Absent: the room is big; page with `members`.
   */
  members: Type.Optional(Type.Array(UserSchema)),
});

export const PongSchema = Type.Object({
  type: Type.Literal('pong'),
  t: Type.Number(),
});

export const ErrorCodeSchema = Type.Union(Object.values(ERROR_CODES).map((code) => Type.Literal(code)));

export const ErrorSchema = Type.Object({
  type: Type.Literal('error'),
  code: ErrorCodeSchema,
  message: Type.String(),
  id: Type.Optional(Type.String()),
  room: Type.Optional(Type.String()),
  /** The `type` of the request this answers, when it had a known one. */
  request: Type.Optional(Type.String()),
  /** With `rate_limited`: the budget has room again after this long. */
  retryAfterMs: Type.Optional(Int({ minimum: 0 })),
});

/** Every server → client message, discriminated on `type`. */
export const ServerMessageSchema = Type.Union([
  WelcomeSchema,
  RoomListSchema,
  JoinedSchema,
  LeftSchema,
  AckSchema,
  MessageEventSchema,
  HistoryPageSchema,
  PresenceSchema,
  TypingEventSchema,
  PongSchema,
  ErrorSchema,
  MemberPageSchema,
  RosterSchema,
  RenamedSchema,
  UpdateSchema,
]);

export const SERVER_SCHEMAS = {
  welcome: WelcomeSchema,
  rooms: RoomListSchema,
  joined: JoinedSchema,
  left: LeftSchema,
  ack: AckSchema,
  message: MessageEventSchema,
  history: HistoryPageSchema,
  presence: PresenceSchema,
  typing: TypingEventSchema,
  pong: PongSchema,
  error: ErrorSchema,
  members: MemberPageSchema,
  roster: RosterSchema,
  renamed: RenamedSchema,
  update: UpdateSchema,
} as const satisfies Record<string, TSchema>;
