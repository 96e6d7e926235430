import { afterEach, describe, expect, test } from 'vitest';

import { ERROR_CODES } from './constants.js';
import { encodeClientMessage, encodeServerMessage, parseClientMessage, parseServerMessage } from './parse.js';
import type { ClientMessage, ServerMessage } from './types.js';

const json = (value: unknown) => JSON.stringify(value);

function expectError(raw: string) {
  const result = parseClientMessage(raw);
  if (result.ok) throw new Error(`expected ${raw.slice(0, 120)} to be refused`);
  return result.error;
}

function expectServerError(raw: string) {
  const result = parseServerMessage(raw);
  if (result.ok) throw new Error(`expected ${raw.slice(0, 120)} to be refused`);
  return result.error;
}

const nested = (depth: number, inner: string) => '['.repeat(depth) + inner + ']'.repeat(depth);

const VALID_CLIENT: readonly [string, ClientMessage][] = [
  ['hello', { type: 'hello', v: 1, name: 'alice' }],
  ['hello with a token', { type: 'hello', v: 1, name: 'alice', token: 'tok_abc' }],
  ['join', { type: 'join', room: 'general' }],
  ['join resuming with since and epoch', { type: 'join', room: 'general', since: 112, epoch: 'e_1' }],
  ['join with since 0', { type: 'join', room: 'general', since: 0, epoch: 'e_1' }],
  ['leave', { type: 'leave', room: 'general' }],
  ['rooms', { type: 'rooms' }],
  ['rooms with prefix, after and limit', { type: 'rooms', prefix: 'gen', after: 'general', limit: 50 }],
  ['rooms with an empty prefix', { type: 'rooms', prefix: '' }],
  ['members', { type: 'members', room: 'general' }],
  [
    'members with prefix, after and limit',
    { type: 'members', room: 'general', prefix: 'Al', after: 'x', limit: 1 },
  ],
  ['send', { type: 'send', room: 'general', id: 'c_8f', text: 'hi' }],
  ['send with a 64-character id', { type: 'send', room: 'general', id: 'a'.repeat(64), text: 'hi' }],
  ['history', { type: 'history', room: 'general' }],
  ['history with before and limit', { type: 'history', room: 'general', before: 60, limit: 50 }],
  ['history with limit 1', { type: 'history', room: 'general', limit: 1 }],
  ['history with limit 100', { type: 'history', room: 'general', limit: 100 }],
  ['typing', { type: 'typing', room: 'general' }],
  ['ping', { type: 'ping', t: 1764000000000 }],
  ['ping with a fractional t', { type: 'ping', t: 12345.678 }],
];

describe('parseClientMessage', () => {
  describe('accepts every client message in its valid form', () => {
    test.each(VALID_CLIENT)('%s', (_, message) => {
      expect(parseClientMessage(json(message))).toEqual({ ok: true, message });
    });

    test('round-trips through encodeClientMessage', () => {
      for (const [, message] of VALID_CLIENT) {
        expect(parseClientMessage(encodeClientMessage(message))).toEqual({ ok: true, message });
      }
    });

    test('accepts v written as 1.0, which JSON reads as 1', () => {
      expect(parseClientMessage('{"type":"hello","v":1.0,"name":"alice"}').ok).toBe(true);
    });

    test('accepts surrounding JSON white space', () => {
      expect(parseClientMessage(' \n{ "type" : "rooms" }\t\r\n').ok).toBe(true);
    });

    test('leaves the field rules (room pattern, name, text) to rules.ts, which have their own codes', () => {
      // invalid_room, invalid_name, empty_text are not bad_request: the schema only decides the shape.
      expect(parseClientMessage(json({ type: 'join', room: 'Not A Room!' })).ok).toBe(true);
      expect(parseClientMessage(json({ type: 'hello', v: 1, name: '' })).ok).toBe(true);
      expect(parseClientMessage(json({ type: 'send', room: 'g', id: 'x', text: '   ' })).ok).toBe(true);
    });
  });

  describe('refuses a named field of the wrong type with bad_request naming the field', () => {
    test.each([
      ['hello.name a number', { type: 'hello', v: 1, name: 5 }, 'name: Expected string'],
      ['hello.name missing', { type: 'hello', v: 1 }, 'name: Expected required property'],
      ['hello.token a number', { type: 'hello', v: 1, name: 'a', token: 5 }, 'token: Expected string'],
      ['hello.token null', { type: 'hello', v: 1, name: 'a', token: null }, 'token: Expected string'],
      ['hello.v a string', { type: 'hello', v: '1', name: 'a' }, 'v: Expected number'],
      ['hello.v null', { type: 'hello', v: null, name: 'a' }, 'v: Expected number'],
      ['join.room a number', { type: 'join', room: 5 }, 'room: Expected string'],
      ['join.room missing', { type: 'join' }, 'room: Expected required property'],
      ['join.since a string', { type: 'join', room: 'g', since: '1' }, 'since: Expected integer'],
      [
        'join.since negative',
        { type: 'join', room: 'g', since: -1 },
        'since: Expected integer to be greater or equal to 0',
      ],
      ['join.since fractional', { type: 'join', room: 'g', since: 1.5 }, 'since: Expected integer'],
      ['join.epoch a number', { type: 'join', room: 'g', since: 1, epoch: 7 }, 'epoch: Expected string'],
      ['leave.room an array', { type: 'leave', room: ['g'] }, 'room: Expected string'],
      ['leave.room null', { type: 'leave', room: null }, 'room: Expected string'],
      ['send.room a number', { type: 'send', room: 5, id: 'c1', text: 'hi' }, 'room: Expected string'],
      ['send.id a number', { type: 'send', room: 'g', id: 5, text: 'hi' }, 'id: Expected string'],
      [
        'send.id empty',
        { type: 'send', room: 'g', id: '', text: 'hi' },
        'id: Expected string length greater or equal to 1',
      ],
      [
        'send.id 65 characters',
        { type: 'send', room: 'g', id: 'a'.repeat(65), text: 'hi' },
        'id: Expected string length less or equal to 64',
      ],
      [
        'send.id with a space',
        { type: 'send', room: 'g', id: 'c 1', text: 'hi' },
        "id: Expected string to match '^[A-Za-z0-9_-]+$'",
      ],
      ['send.text a number', { type: 'send', room: 'g', id: 'c1', text: 5 }, 'text: Expected string'],
      [
        'send.text an object',
        { type: 'send', room: 'g', id: 'c1', text: { html: '<b>' } },
        'text: Expected string',
      ],
      ['send.text missing', { type: 'send', room: 'g', id: 'c1' }, 'text: Expected required property'],
      ['history.room a boolean', { type: 'history', room: true }, 'room: Expected string'],
      ['history.before a string', { type: 'history', room: 'g', before: '60' }, 'before: Expected integer'],
      ['history.limit a string', { type: 'history', room: 'g', limit: '50' }, 'limit: Expected integer'],
      ['typing.room an object', { type: 'typing', room: {} }, 'room: Expected string'],
      ['ping.t a string', { type: 'ping', t: '1' }, 't: Expected number'],
      ['ping.t missing', { type: 'ping' }, 't: Expected required property'],
    ])('%s', (_, frame, message) => {
      expect(expectError(json(frame))).toMatchObject({ code: ERROR_CODES.BAD_REQUEST, message });
    });
  });

  describe('history.limit outside 1–100', () => {
    test.each([
      ['0', 0, 'limit: Expected integer to be greater or equal to 1'],
      ['101', 101, 'limit: Expected integer to be less or equal to 100'],
      ['1.5', 1.5, 'limit: Expected integer'],
      ['-1', -1, 'limit: Expected integer to be greater or equal to 1'],
    ])('refuses limit %s with bad_request', (_, limit, message) => {
      expect(expectError(json({ type: 'history', room: 'general', limit }))).toEqual({
        code: ERROR_CODES.BAD_REQUEST,
        message,
        room: 'general',
      });
    });
  });

  describe('pages of rooms and members', () => {
    test.each([
      ['rooms limit 0', { type: 'rooms', limit: 0 }, 'limit: Expected integer to be greater or equal to 1'],
      [
        'rooms limit 101',
        { type: 'rooms', limit: 101 },
        'limit: Expected integer to be less or equal to 100',
      ],
      [
        'rooms prefix with a capital',
        { type: 'rooms', prefix: 'Gen' },
        "prefix: Expected string to match '^[a-z0-9_-]*$'",
      ],
      [
        'rooms prefix of 33',
        { type: 'rooms', prefix: 'a'.repeat(33) },
        'prefix: Expected string length less or equal to 32',
      ],
      [
        'rooms after of 33',
        { type: 'rooms', after: 'a'.repeat(33) },
        'after: Expected string length less or equal to 32',
      ],
      [
        'members limit 101',
        { type: 'members', room: 'general', limit: 101 },
        'limit: Expected integer to be less or equal to 100',
      ],
      [
        'members after of 257',
        { type: 'members', room: 'general', after: 'a'.repeat(257) },
        'after: Expected string length less or equal to 256',
      ],
      ['members without room', { type: 'members' }, 'room: Expected required property'],
    ])('refuses %s with bad_request', (_, frame, message) => {
      expect(expectError(json(frame))).toMatchObject({ code: ERROR_CODES.BAD_REQUEST, message });
    });
  });

  describe('echoes the request room in the error when it is a string', () => {
    test('on a wrong-typed field of a join', () => {
      expect(expectError(json({ type: 'join', room: 'general', since: 'x' }))).toEqual({
        code: ERROR_CODES.BAD_REQUEST,
        message: 'since: Expected integer',
        room: 'general',
      });
    });

    test('even when the room name is not a valid room name', () => {
      expect(expectError(json({ type: 'history', room: 'Not A Room', limit: 0 })).room).toBe('Not A Room');
    });

    test('on an unknown type', () => {
      expect(expectError(json({ type: 'shout', room: 'general' })).room).toBe('general');
    });

    test('when type is missing', () => {
      expect(expectError(json({ room: 'general' }))).toEqual({
        code: ERROR_CODES.BAD_REQUEST,
        message: 'type: expected string',
        room: 'general',
      });
    });

    test('not when room is a number', () => {
      expect(expectError(json({ type: 'join', room: 5 }))).not.toHaveProperty('room');
    });

    test('not when room holds a lone surrogate (it could not be sent back as UTF-8)', () => {
      expect(expectError('{"type":"join","room":"\\ud800"}')).not.toHaveProperty('room');
    });
  });

  describe('echoes the send id in the error when it is a valid id', () => {
    test('on a wrong-typed text', () => {
      expect(expectError(json({ type: 'send', room: 'general', id: 'c_8f', text: 5 }))).toEqual({
        code: ERROR_CODES.BAD_REQUEST,
        message: 'text: Expected string',
        room: 'general',
        id: 'c_8f',
      });
    });

    test('on a room given as a number: id echoed, room not', () => {
      expect(expectError(json({ type: 'send', room: 5, id: 'c_8f', text: 'hi' }))).toEqual({
        code: ERROR_CODES.BAD_REQUEST,
        message: 'room: Expected string',
        id: 'c_8f',
      });
    });

    test.each([
      ['with a space', 'c 8f'],
      ['of 65 characters', 'a'.repeat(65)],
      ['empty', ''],
      ['with a newline at the end', 'c_8f\n'],
    ])('not when the id is invalid: %s', (_, id) => {
      expect(expectError(json({ type: 'send', room: 'general', id, text: 'hi' }))).not.toHaveProperty('id');
    });

    test('not when the id is a number', () => {
      expect(expectError(json({ type: 'send', room: 'general', id: 42, text: 'hi' }))).not.toHaveProperty(
        'id',
      );
    });

    test('not on requests other than send', () => {
      expect(expectError(json({ type: 'join', room: 5, id: 'c_8f' }))).not.toHaveProperty('id');
    });
  });

  describe('refuses frames that are not a message', () => {
    test.each([
      'shout',
      'Send',
      'SEND',
      ' send',
      '',
      'welcome',
      'ack',
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
    ])('unknown type %j', (type) => {
      expect(expectError(json({ type, room: 'general', id: 'c1', text: 'x' }))).toMatchObject({
        code: ERROR_CODES.BAD_REQUEST,
        message: `unknown type ${json(type)}`,
      });
    });

    test('quotes at most 32 characters of an unknown type', () => {
      const { message } = expectError(json({ type: 'x'.repeat(10_000) }));
      expect(message).toBe(`unknown type "${'x'.repeat(32)}"`);
    });

    test.each([
      ['a number', { type: 1 }],
      ['null', { type: null }],
      ['an array', { type: ['send'] }],
      ['missing', {}],
    ])('type that is %s', (_, frame) => {
      expect(expectError(json(frame))).toEqual({
        code: ERROR_CODES.BAD_REQUEST,
        message: 'type: expected string',
      });
    });

    test.each(['[]', '[{"type":"rooms"}]', 'null', '0', '1e400', '"rooms"', 'true', 'false'])(
      'JSON that is not an object: %s',
      (raw) => {
        expect(expectError(raw)).toEqual({
          code: ERROR_CODES.BAD_REQUEST,
          message: 'frame is not a JSON object',
        });
      },
    );

    test.each([
      '',
      ' ',
      'hello',
      '{',
      '{"type":"rooms"',
      "{'type':'rooms'}",
      '{"type":"rooms",}',
      '{type:"rooms"}',
      'NaN',
      'undefined',
      '{"type":"ping","t":NaN}',
      '{"type":"ping","t":Infinity}',
      '\uFEFF{"type":"rooms"}',
      '{"type":"rooms"}{"type":"rooms"}',
    ])('text that is not JSON: %j', (raw) => {
      expect(expectError(raw)).toEqual({ code: ERROR_CODES.BAD_REQUEST, message: 'frame is not valid JSON' });
    });
  });

  describe('hello version', () => {
    // Raw JSON text: 1e400 has no JavaScript literal that JSON.stringify would write back.
    test.each(['0', '2', '-1', '1.5', '1e400', '-1e400'])('answers v %s with unsupported_version', (v) => {
      expect(expectError(`{"type":"hello","v":${v},"name":"alice"}`).code).toBe(
        ERROR_CODES.UNSUPPORTED_VERSION,
      );
    });

    test('answers a numeric v ≠ 1 before any other field is checked', () => {
      expect(expectError(json({ type: 'hello', v: 2, name: 5, token: [] }))).toEqual({
        code: ERROR_CODES.UNSUPPORTED_VERSION,
        message: 'protocol version 2 is not supported; this server speaks 1',
      });
      expect(expectError(json({ type: 'hello', v: 2 })).code).toBe(ERROR_CODES.UNSUPPORTED_VERSION);
    });

    test('answers a missing v with bad_request', () => {
      expect(expectError(json({ type: 'hello', name: 'alice' }))).toEqual({
        code: ERROR_CODES.BAD_REQUEST,
        message: 'v: Expected required property',
      });
    });

    test.each([
      ['a string', '"2"'],
      ['a boolean', 'true'],
      ['an array', '[1]'],
    ])('answers v that is %s with bad_request, not unsupported_version', (_, v) => {
      expect(expectError(`{"type":"hello","v":${v},"name":"alice"}`)).toMatchObject({
        code: ERROR_CODES.BAD_REQUEST,
        message: 'v: Expected number',
      });
    });
  });

  describe('unknown fields', () => {
    test('are ignored on every message type', () => {
      for (const [, message] of VALID_CLIENT) {
        const result = parseClientMessage(json({ ...message, extra: 1, nested: { a: [1, 2] }, x: null }));
        expect(result).toMatchObject({ ok: true, message });
      }
    });

    test('of any JSON type are ignored, including ones named like known fields of other messages', () => {
      const frame = {
        type: 'typing',
        room: 'general',
        id: [],
        text: {},
        v: 'x',
        since: -1,
        limit: 1000,
        t: 'x',
      };
      expect(parseClientMessage(json(frame)).ok).toBe(true);
    });
  });

  describe('unpaired UTF-16 surrogates', () => {
    test.each([
      ['a lone high surrogate in text', '{"type":"send","room":"g","id":"c1","text":"hi \\ud83d"}'],
      ['a lone low surrogate in text', '{"type":"send","room":"g","id":"c1","text":"\\ude00 hi"}'],
      ['a reversed pair', '{"type":"send","room":"g","id":"c1","text":"\\ude00\\ud83d"}'],
      ['upper-case escapes', '{"type":"send","room":"g","id":"c1","text":"\\uD800"}'],
      ['a lone surrogate in a name', '{"type":"hello","v":1,"name":"al\\udfffice"}'],
      ['a lone surrogate in a token', '{"type":"hello","v":1,"name":"alice","token":"\\ud800"}'],
      ['a lone surrogate in a room', '{"type":"leave","room":"\\udc00"}'],
      ['a lone surrogate in an epoch', '{"type":"join","room":"g","since":1,"epoch":"\\udbff"}'],
      ['a lone surrogate in an unknown field', '{"type":"rooms","note":["\\ud800"]}'],
    ])('refuse %s with bad_request', (_, raw) => {
      expect(expectError(raw)).toMatchObject({
        code: ERROR_CODES.BAD_REQUEST,
        message: 'frame contains an unpaired UTF-16 surrogate',
      });
    });

    test('still echo a valid room and send id', () => {
      expect(expectError('{"type":"send","room":"g","id":"c1","text":"\\ud800"}')).toMatchObject({
        room: 'g',
        id: 'c1',
      });
    });

    test('a surrogate pair written as escapes is accepted and decoded', () => {
      const result = parseClientMessage('{"type":"send","room":"g","id":"c1","text":"\\ud83d\\ude00"}');
      expect(result).toEqual({ ok: true, message: { type: 'send', room: 'g', id: 'c1', text: '😀' } });
    });

    test('an escaped backslash followed by "ud800" is plain text, not a surrogate', () => {
      const result = parseClientMessage('{"type":"send","room":"g","id":"c1","text":"\\\\ud800"}');
      expect(result).toMatchObject({ ok: true, message: { text: '\\ud800' } });
    });
  });

  describe('deeply nested JSON', () => {
    test('a 10,000-deep array is bad_request, not a thrown error', () => {
      const raw = nested(10_000, '1');
      expect(() => parseClientMessage(raw)).not.toThrow();
      expect(expectError(raw)).toEqual({
        code: ERROR_CODES.BAD_REQUEST,
        message: 'frame is not a JSON object',
      });
    });

    test('a 10,000-deep object is bad_request, not a thrown error', () => {
      const raw = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000);
      expect(expectError(raw)).toEqual({ code: ERROR_CODES.BAD_REQUEST, message: 'type: expected string' });
    });

    test('a 10,000-deep value in a known field is bad_request naming the field', () => {
      const raw = `{"type":"send","room":"g","id":"c1","text":${nested(10_000, '"hi"')}}`;
      expect(expectError(raw).message).toBe('text: Expected string');
    });

    // Regression: the lone-surrogate walk used to recurse and overflow the call
    // stack (RangeError) on frames well under MAX_FRAME_BYTES.
    test.each([10_000, 30_000])(
      'an unknown field nested %i deep holding surrogate escapes does not throw',
      (depth) => {
        const lone = `{"type":"rooms","x":${nested(depth, '"\\ud800"')}}`;
        const pair = `{"type":"rooms","x":${nested(depth, '"\\ud83d\\ude00"')}}`;
        expect(lone.length).toBeLessThan(65_536);
        expect(() => parseClientMessage(lone)).not.toThrow();
        expect(expectError(lone).message).toBe('frame contains an unpaired UTF-16 surrogate');
        expect(parseClientMessage(pair).ok).toBe(true);
      },
    );

    test('a wide array of 20,000 strings with escapes is walked without trouble', () => {
      const items = Array.from({ length: 20_000 }, () => '"\\u00e9"').join(',');
      expect(parseClientMessage(`{"type":"rooms","x":[${items},"\\ud800"]}`).ok).toBe(false);
    });
  });

  describe('prototype pollution', () => {
    const polluted = () => Object.keys(Object.prototype).length > 0 || 'polluted' in {};

    afterEach(() => {
      for (const key of Object.keys(Object.prototype))
        delete (Object.prototype as Record<string, unknown>)[key];
    });

    test('a __proto__ key stays an own data property and does not touch Object.prototype', () => {
      const result = parseClientMessage('{"type":"rooms","__proto__":{"polluted":true}}');
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(Object.getPrototypeOf(result.message)).toBe(Object.prototype);
      expect(Object.hasOwn(result.message, '__proto__')).toBe(true);
      expect(polluted()).toBe(false);
    });

    test('constructor.prototype keys do not touch Object.prototype', () => {
      const raw =
        '{"type":"send","room":"g","id":"c1","text":"x","constructor":{"prototype":{"polluted":true}}}';
      expect(parseClientMessage(raw).ok).toBe(true);
      expect(polluted()).toBe(false);
    });

    test('a type hidden under __proto__ is not seen as the frame type', () => {
      expect(expectError('{"__proto__":{"type":"rooms"}}').message).toBe('type: expected string');
    });

    test('a room or id hidden under __proto__ is not echoed', () => {
      const error = expectError('{"type":"send","__proto__":{"room":"g","id":"c1","text":"x"}}');
      expect(error).toEqual({ code: ERROR_CODES.BAD_REQUEST, message: 'room: Expected required property' });
    });
  });

  describe('numbers beyond double range (1e400 parses as Infinity)', () => {
    test.each([
      ['ping.t', '{"type":"ping","t":1e400}', 't: Expected number'],
      ['ping.t negative', '{"type":"ping","t":-1e400}', 't: Expected number'],
      ['join.since', '{"type":"join","room":"g","since":1e400}', 'since: Expected integer'],
      ['history.before', '{"type":"history","room":"g","before":1e400}', 'before: Expected integer'],
      ['history.limit', '{"type":"history","room":"g","limit":1e400}', 'limit: Expected integer'],
    ])('are refused in %s', (_, raw, message) => {
      expect(expectError(raw)).toMatchObject({ code: ERROR_CODES.BAD_REQUEST, message });
    });

    test('the largest finite double is still a number', () => {
      expect(parseClientMessage('{"type":"ping","t":1.7976931348623157e308}').ok).toBe(true);
    });
  });
});

const alice = { id: 'u_1', name: 'alice' };
const stored = { room: 'general', seq: 119, ts: 1764000000000, id: 'c_8f', from: alice, text: 'hi' };

const VALID_SERVER: readonly [string, ServerMessage][] = [
  [
    'welcome',
    {
      type: 'welcome',
      v: 1,
      user: alice,
      token: 'tok',
      heartbeat: { intervalMs: 25_000, timeoutMs: 10_000 },
    },
  ],
  [
    'welcome with the limits in force',
    {
      type: 'welcome',
      v: 1,
      user: alice,
      token: 'tok',
      heartbeat: { intervalMs: 25_000, timeoutMs: 10_000 },
      limits: { sendsPerSec: 10, burst: 20 },
    },
  ],
  ['rooms', { type: 'rooms', rooms: [{ name: 'general', members: 3, seq: 118 }] }],
  ['rooms, empty', { type: 'rooms', rooms: [] }],
  [
    'rooms, a page with more after it',
    { type: 'rooms', rooms: [{ name: 'a', members: 0, seq: 0 }], hasMore: true },
  ],
  [
    'members, a page',
    { type: 'members', room: 'general', members: [alice], count: 600, hasMore: true, next: 'YQ' },
  ],
  ['roster, a count', { type: 'roster', room: 'general', count: 5012 }],
  ['roster, every member', { type: 'roster', room: 'general', count: 1, members: [alice] }],
  [
    'joined',
    {
      type: 'joined',
      room: 'general',
      epoch: 'e_1',
      seq: 119,
      members: [alice],
      messages: [stored],
      hasMore: false,
    },
  ],
  [
    'joined, new room',
    { type: 'joined', room: 'new', epoch: 'e_2', seq: 0, members: [], messages: [], hasMore: false },
  ],
  ['left', { type: 'left', room: 'general' }],
  ['ack', { type: 'ack', room: 'general', id: 'c_8f', seq: 119, ts: 1764000000000 }],
  ['message', { type: 'message', ...stored }],
  ['history', { type: 'history', room: 'general', messages: [stored], hasMore: true }],
  ['presence joined', { type: 'presence', room: 'general', user: alice, state: 'joined' }],
  ['presence left', { type: 'presence', room: 'general', user: alice, state: 'left' }],
  ['typing', { type: 'typing', room: 'general', user: alice }],
  ['pong', { type: 'pong', t: 1764000000000 }],
  ['error', { type: 'error', code: 'rate_limited', message: 'slow down', id: 'c_8f', room: 'general' }],
  ['error without id or room', { type: 'error', code: 'not_authenticated', message: 'say hello first' }],
];

describe('parseServerMessage', () => {
  test.each(VALID_SERVER)('accepts %s', (_, message) => {
    expect(parseServerMessage(json(message))).toEqual({ ok: true, message });
    expect(parseServerMessage(encodeServerMessage(message))).toEqual({ ok: true, message });
  });

  test('accepts every error code', () => {
    for (const code of Object.values(ERROR_CODES)) {
      expect(parseServerMessage(json({ type: 'error', code, message: '' })).ok).toBe(true);
    }
  });

  test.each([
    [
      'welcome with v 2 (a shape error here, not unsupported_version)',
      { type: 'welcome', v: 2, user: alice, token: 't', heartbeat: { intervalMs: 1, timeoutMs: 1 } },
      'v: Expected 1',
    ],
    [
      'welcome with heartbeat interval 0',
      { type: 'welcome', v: 1, user: alice, token: 't', heartbeat: { intervalMs: 0, timeoutMs: 1 } },
      'heartbeat.intervalMs: Expected integer to be greater or equal to 1',
    ],
    [
      'welcome with a send rate of 0',
      {
        type: 'welcome',
        v: 1,
        user: alice,
        token: 't',
        heartbeat: { intervalMs: 1, timeoutMs: 1 },
        limits: { sendsPerSec: 0, burst: 1 },
      },
      'limits.sendsPerSec: Expected integer to be greater or equal to 1',
    ],
    [
      'rooms with negative members',
      { type: 'rooms', rooms: [{ name: 'g', members: -1, seq: 0 }] },
      'rooms.0.members: Expected integer to be greater or equal to 0',
    ],
    [
      'joined with a message of seq 0',
      {
        type: 'joined',
        room: 'g',
        epoch: 'e',
        seq: 0,
        members: [],
        messages: [{ ...stored, seq: 0 }],
        hasMore: false,
      },
      'messages.0.seq: Expected integer to be greater or equal to 1',
    ],
    [
      'joined without hasMore',
      { type: 'joined', room: 'g', epoch: 'e', seq: 0, members: [], messages: [] },
      'hasMore: Expected required property',
    ],
    ['ack with a string seq', { type: 'ack', room: 'g', id: 'c', seq: '1', ts: 0 }, 'seq: Expected integer'],
    [
      'message without from.name',
      { type: 'message', ...stored, from: { id: 'u_1' } },
      'from.name: Expected required property',
    ],
    [
      'history with messages as an object',
      { type: 'history', room: 'g', messages: {}, hasMore: false },
      'messages: Expected array',
    ],
    [
      'presence with an unknown state',
      { type: 'presence', room: 'g', user: alice, state: 'away' },
      'state: Expected union value',
    ],
    ['typing without user', { type: 'typing', room: 'g' }, 'user: Expected required property'],
    ['pong with t as a string', { type: 'pong', t: '1' }, 't: Expected number'],
    [
      'error with an unknown code',
      { type: 'error', code: 'teapot', message: '' },
      'code: Expected union value',
    ],
  ])('refuses %s', (_, frame, message) => {
    expect(expectServerError(json(frame))).toMatchObject({ code: ERROR_CODES.BAD_REQUEST, message });
  });

  test('refuses client-only types', () => {
    for (const type of ['hello', 'join', 'leave', 'send', 'ping']) {
      expect(expectServerError(json({ type })).message).toBe(`unknown type ${json(type)}`);
    }
  });

  test('refuses a numeric v ≠ 1 in welcome as bad_request: only the server answers unsupported_version', () => {
    const raw = json({
      type: 'welcome',
      v: 2,
      user: alice,
      token: 't',
      heartbeat: { intervalMs: 1, timeoutMs: 1 },
    });
    expect(expectServerError(raw).code).toBe(ERROR_CODES.BAD_REQUEST);
  });

  test('refuses junk without throwing', () => {
    expect(expectServerError('<html>').message).toBe('frame is not valid JSON');
    expect(expectServerError('[]').message).toBe('frame is not a JSON object');
    expect(expectServerError(nested(10_000, '0')).message).toBe('frame is not a JSON object');
  });

  test('refuses a lone surrogate in a message text', () => {
    const raw = json({ type: 'message', ...stored }).replace('"hi"', '"\\ud800"');
    expect(expectServerError(raw).message).toBe('frame contains an unpaired UTF-16 surrogate');
  });
});
