/**
 * fast-check arbitraries for every wire message of protocol v1, built from the
 * schemas and the field rules: room names match the room pattern, ids the id
 * pattern, names pass `checkName`, texts pass `checkText`. Shared by the
 * property tests and the test that keeps the benchmark's Zod and Valibot
 * schemas equivalent to ours.
 *
 * Lives under `test/`, not `src/`, so the build never ships it.
 */
import type { TObject } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import fc from 'fast-check';

import { ERROR_CODES, LIMITS, PROTOCOL_VERSION } from '../src/constants.js';
import { checkName } from '../src/names.js';
import { checkEmoji, checkText } from '../src/rules.js';
import type {
  ClientMessageOf,
  ClientMessageType,
  Message,
  RoomSummary,
  ServerMessageOf,
  ServerMessageType,
  User,
} from '../src/types.js';

const NO_NULL_PROTO = { noNullPrototype: true } as const;

/** Any well-formed string: every code point may appear, never a lone surrogate. */
export const anyString = (maxLength = 40): fc.Arbitrary<string> => fc.string({ unit: 'binary', maxLength });

export const roomName = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,31}$/);
export const messageId = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
export const userId = fc.stringMatching(/^u_[A-Za-z0-9]{1,22}$/);

/** A name as a client may send it: passes `checkName`, white space around it included. */
export const userName = fc
  .string({ unit: 'binary', minLength: 1, maxLength: 40 })
  .filter((raw) => checkName(raw).ok);

/** Mostly short texts, sometimes right at the 4000 code point limit. */
export const messageText = fc
  .oneof(
    { weight: 9, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 120 }) },
    {
      weight: 1,
      arbitrary: fc.string({
        unit: 'binary',
        minLength: LIMITS.MAX_TEXT_CHARS - 4,
        maxLength: LIMITS.MAX_TEXT_CHARS,
      }),
    },
  )
  .filter((text) => checkText(text).ok);

/** A sequence number or a count: any non-negative safe integer. */
const nat = fc.maxSafeNat();
const positive = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });

/** A reaction as `checkEmoji` takes it: short, no white space or control. */
export const emoji = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 4 })
  .filter((e) => checkEmoji(e).ok);

const shortText = fc
  .string({ unit: 'binary', minLength: 1, maxLength: 40 })
  .filter((text) => checkText(text).ok);

/**
 * Any finite double except -0: JSON has no negative zero (`JSON.stringify(-0)`
 * is `"0"`), so -0 cannot survive the wire and is not a value a clock sends.
 */
const finiteNumber = fc
  .double({ noNaN: true, noDefaultInfinity: true })
  .map((t) => (Object.is(t, -0) ? 0 : t));

// ---------- client → server ----------

export const clientMessages: { [K in ClientMessageType]: fc.Arbitrary<ClientMessageOf<K>> } = {
  hello: fc.record(
    {
      type: fc.constant('hello' as const),
      v: fc.constant(PROTOCOL_VERSION),
      name: userName,
      token: anyString(64),
    },
    { requiredKeys: ['type', 'v', 'name'], ...NO_NULL_PROTO },
  ),
  join: fc.record(
    { type: fc.constant('join' as const), room: roomName, since: nat, epoch: anyString(24) },
    { requiredKeys: ['type', 'room'], ...NO_NULL_PROTO },
  ),
  leave: fc.record({ type: fc.constant('leave' as const), room: roomName }, NO_NULL_PROTO),
  rooms: fc.record(
    {
      type: fc.constant('rooms' as const),
      prefix: fc.stringMatching(/^[a-z0-9_-]{0,32}$/),
      after: fc.string({ maxLength: LIMITS.MAX_PREFIX_CHARS }),
      limit: fc.integer({ min: 1, max: LIMITS.ROOMS_PAGE_LIMIT }),
    },
    { requiredKeys: ['type'], ...NO_NULL_PROTO },
  ),
  members: fc.record(
    {
      type: fc.constant('members' as const),
      room: roomName,
      prefix: anyString(LIMITS.MAX_PREFIX_CHARS),
      after: anyString(64),
      limit: fc.integer({ min: 1, max: LIMITS.MEMBERS_PAGE_LIMIT }),
    },
    { requiredKeys: ['type', 'room'], ...NO_NULL_PROTO },
  ),
  send: fc.record(
    {
      type: fc.constant('send' as const),
      room: roomName,
      id: messageId,
      text: messageText,
      replyTo: positive,
    },
    { requiredKeys: ['type', 'room', 'id', 'text'], ...NO_NULL_PROTO },
  ),
  edit: fc.record(
    {
      type: fc.constant('edit' as const),
      room: roomName,
      id: messageId,
      target: positive,
      text: messageText,
    },
    NO_NULL_PROTO,
  ),
  delete: fc.record(
    { type: fc.constant('delete' as const), room: roomName, id: messageId, target: positive },
    NO_NULL_PROTO,
  ),
  react: fc.record(
    {
      type: fc.constant('react' as const),
      room: roomName,
      id: messageId,
      target: positive,
      emoji,
      on: fc.boolean(),
    },
    NO_NULL_PROTO,
  ),
  history: fc.record(
    {
      type: fc.constant('history' as const),
      room: roomName,
      before: nat,
      limit: fc.integer({ min: 1, max: LIMITS.HISTORY_MAX_LIMIT }),
    },
    { requiredKeys: ['type', 'room'], ...NO_NULL_PROTO },
  ),
  typing: fc.record({ type: fc.constant('typing' as const), room: roomName }, NO_NULL_PROTO),
  ping: fc.record({ type: fc.constant('ping' as const), t: finiteNumber }, NO_NULL_PROTO),
};

export const clientMessage = fc.oneof(
  clientMessages.hello,
  clientMessages.join,
  clientMessages.leave,
  clientMessages.rooms,
  clientMessages.send,
  clientMessages.history,
  clientMessages.typing,
  clientMessages.ping,
  clientMessages.members,
  clientMessages.edit,
  clientMessages.delete,
  clientMessages.react,
);

// ---------- server → client ----------

export const user: fc.Arbitrary<User> = fc.record(
  { id: userId, name: userName.map((name) => name.trim()).filter((name) => checkName(name).ok) },
  NO_NULL_PROTO,
);

export const message: fc.Arbitrary<Message> = fc.record(
  {
    room: roomName,
    seq: positive,
    ts: nat,
    id: messageId,
    from: user,
    text: shortText,
    rev: positive,
    edited: nat,
    deleted: fc.constant(true as const),
    replyTo: fc.record({ seq: positive, from: user, text: shortText }, NO_NULL_PROTO),
    reactions: fc.array(
      fc.record({ emoji, count: positive, users: fc.array(userId, { maxLength: 3 }) }, NO_NULL_PROTO),
      { maxLength: 3 },
    ),
  },
  { requiredKeys: ['room', 'seq', 'ts', 'id', 'from', 'text'], ...NO_NULL_PROTO },
);

const roomSummary: fc.Arbitrary<RoomSummary> = fc.record(
  { name: roomName, members: nat, seq: nat },
  NO_NULL_PROTO,
);

export const serverMessages: { [K in ServerMessageType]: fc.Arbitrary<ServerMessageOf<K>> } = {
  welcome: fc.record(
    {
      type: fc.constant('welcome' as const),
      v: fc.constant(PROTOCOL_VERSION),
      user,
      token: anyString(64),
      heartbeat: fc.record({ intervalMs: positive, timeoutMs: positive }, NO_NULL_PROTO),
      limits: fc.record({ sendsPerSec: positive, burst: positive }, NO_NULL_PROTO),
      features: fc.array(fc.constantFrom('changes'), { maxLength: 1 }),
    },
    { ...NO_NULL_PROTO, requiredKeys: ['type', 'v', 'user', 'token', 'heartbeat'] },
  ),
  rooms: fc.record(
    {
      type: fc.constant('rooms' as const),
      rooms: fc.array(roomSummary, { maxLength: 5 }),
      hasMore: fc.boolean(),
    },
    { requiredKeys: ['type', 'rooms'], ...NO_NULL_PROTO },
  ),
  joined: fc.record(
    {
      type: fc.constant('joined' as const),
      room: roomName,
      epoch: anyString(24),
      seq: nat,
      members: fc.array(user, { maxLength: 5 }),
      memberCount: nat,
      messages: fc.array(message, { maxLength: 5 }),
      hasMore: fc.boolean(),
    },
    { requiredKeys: ['type', 'room', 'epoch', 'seq', 'members', 'messages', 'hasMore'], ...NO_NULL_PROTO },
  ),
  left: fc.record({ type: fc.constant('left' as const), room: roomName }, NO_NULL_PROTO),
  ack: fc.record(
    { type: fc.constant('ack' as const), room: roomName, id: messageId, seq: positive, ts: nat },
    NO_NULL_PROTO,
  ),
  message: message.map((m) => ({ type: 'message' as const, ...m })),
  history: fc.record(
    {
      type: fc.constant('history' as const),
      room: roomName,
      messages: fc.array(message, { maxLength: 5 }),
      hasMore: fc.boolean(),
    },
    NO_NULL_PROTO,
  ),
  presence: fc.record(
    {
      type: fc.constant('presence' as const),
      room: roomName,
      user,
      state: fc.constantFrom('joined' as const, 'left' as const),
    },
    NO_NULL_PROTO,
  ),
  typing: fc.record({ type: fc.constant('typing' as const), room: roomName, user }, NO_NULL_PROTO),
  pong: fc.record({ type: fc.constant('pong' as const), t: finiteNumber }, NO_NULL_PROTO),
  error: fc.record(
    {
      type: fc.constant('error' as const),
      code: fc.constantFrom(...Object.values(ERROR_CODES)),
      message: anyString(80),
      id: messageId,
      room: roomName,
    },
    { requiredKeys: ['type', 'code', 'message'], ...NO_NULL_PROTO },
  ),
  members: fc.record(
    {
      type: fc.constant('members' as const),
      room: roomName,
      members: fc.array(user, { maxLength: 5 }),
      count: nat,
      hasMore: fc.boolean(),
      next: anyString(64),
    },
    { requiredKeys: ['type', 'room', 'members', 'count', 'hasMore'], ...NO_NULL_PROTO },
  ),
  renamed: fc.record({ type: fc.constant('renamed' as const), user }, NO_NULL_PROTO),
  update: fc.record(
    { type: fc.constant('update' as const), room: roomName, seq: positive, message },
    NO_NULL_PROTO,
  ),
  roster: fc.record(
    {
      type: fc.constant('roster' as const),
      room: roomName,
      count: nat,
      members: fc.array(user, { maxLength: 5 }),
    },
    { requiredKeys: ['type', 'room', 'count'], ...NO_NULL_PROTO },
  ),
};

export const serverMessage = fc.oneof(
  serverMessages.welcome,
  serverMessages.rooms,
  serverMessages.joined,
  serverMessages.left,
  serverMessages.ack,
  serverMessages.message,
  serverMessages.history,
  serverMessages.presence,
  serverMessages.typing,
  serverMessages.pong,
  serverMessages.error,
  serverMessages.members,
  serverMessages.roster,
  serverMessages.renamed,
  serverMessages.update,
);

// ---------- mutations ----------

export type Frame = Record<string, unknown>;

/** A valid message with exactly one named field (never `type`) missing or of the wrong shape. */
export interface BrokenField {
  frame: Frame;
  field: string;
  original: Frame;
}

/**
 * Breaks one top-level field of a valid message: it is either missing (when
 * required) or holds a JSON value that the field's own schema rejects.
 */
export function withOneFieldBroken(
  valid: fc.Arbitrary<{ type: string }>,
  schemas: Readonly<Record<string, TObject>>,
): fc.Arbitrary<BrokenField> {
  return valid
    .chain((message): fc.Arbitrary<BrokenField | null> => {
      const original: Frame = { ...message };
      const schema = schemas[message.type];
      if (!schema) throw new Error(`no schema for type ${message.type}`);
      const fields = Object.keys(schema.properties).filter((field) => field !== 'type');
      if (fields.length === 0) return fc.constant(null);
      const required = new Set(schema.required ?? []);
      return fc.constantFrom(...fields).chain((field) => {
        const fieldSchema = schema.properties[field];
        if (!fieldSchema) throw new Error(`no schema for field ${field}`);
        const wrong = fc
          .jsonValue({ maxDepth: 2 })
          .filter((value) => !Value.Check(fieldSchema, value))
          .map((value): BrokenField => ({ frame: { ...original, [field]: value }, field, original }));
        if (!required.has(field)) return wrong;
        return fc.oneof(
          wrong,
          fc.constant<BrokenField>({ frame: withoutKey(original, field), field, original }),
        );
      });
    })
    .filter((broken): broken is BrokenField => broken !== null);
}

export function withoutKey(frame: Frame, key: string): Frame {
  const copy = { ...frame };
  delete copy[key];
  return copy;
}

type Edit = 'keep' | 'delete' | { value: fc.JsonValue };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  { weight: 3, arbitrary: fc.constant('keep' as const) },
  { weight: 1, arbitrary: fc.constant('delete' as const) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((value) => ({ value })) },
);

const extraKey = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.constantFrom('__proto__', 'constructor', 'prototype'),
);

// defineProperty, not assignment: assigning to `__proto__` would set the
// prototype instead of adding the own key a JSON frame can carry.
function put(frame: Frame, key: string, value: unknown): void {
  Object.defineProperty(frame, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * A valid message with some fields replaced by random JSON, some deleted and
 * some unknown ones added: sometimes still valid, mostly not. Tests decide
 * which with an independent oracle.
 */
export function mutated(valid: fc.Arbitrary<{ type: string }>): fc.Arbitrary<Frame> {
  return fc
    .tuple(
      valid,
      fc.array(edit, { minLength: 8, maxLength: 8 }),
      fc.dictionary(extraKey, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
    )
    .map(([message, edits, extras]) => {
      const frame: Frame = {};
      for (const [key, value] of Object.entries(extras)) put(frame, key, value);
      Object.entries(message).forEach(([key, value], i) => {
        const change = key === 'type' ? 'keep' : (edits[i] ?? 'keep');
        if (change === 'delete') delete frame[key];
        else put(frame, key, change === 'keep' ? value : change.value);
      });
      return frame;
    });
}
