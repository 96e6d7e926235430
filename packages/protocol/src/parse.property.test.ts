import type { TObject } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';

import {
  clientMessage,
  clientMessages,
  type Frame,
  mutated,
  serverMessage,
  serverMessages,
  withOneFieldBroken,
} from '../test/arbitraries.js';
import { ERROR_CODES, PROTOCOL_VERSION } from './constants.js';
import {
  type DecodeResult,
  ID_REQUESTS,
  encodeClientMessage,
  encodeServerMessage,
  parseClientMessage,
  parseServerMessage,
} from './parse.js';
import { MESSAGE_ID_PATTERN } from './rules.js';
import { CLIENT_SCHEMAS, ClientMessageSchema, SERVER_SCHEMAS, ServerMessageSchema } from './schemas.js';

// Bounded so the whole file runs in a few seconds; raise locally to hunt.
const RUNS = { numRuns: 500 } as const;
const FEW_RUNS = { numRuns: 200 } as const;

const CLIENT_TYPES = new Set(Object.keys(CLIENT_SCHEMAS));
const SERVER_TYPES = new Set(Object.keys(SERVER_SCHEMAS));
const CLIENT_OBJECTS: Readonly<Record<string, TObject>> = CLIENT_SCHEMAS;
const SERVER_OBJECTS: Readonly<Record<string, TObject>> = SERVER_SCHEMAS;

const utf8 = new TextDecoder();

/** The outcome every frame must have: a result, never an exception, and "ok" only for a valid message. */
function expectSoundClientResult(result: DecodeResult<unknown>): void {
  if (result.ok) {
    expect(Value.Check(ClientMessageSchema, result.message)).toBe(true);
  } else {
    expect([ERROR_CODES.BAD_REQUEST, ERROR_CODES.UNSUPPORTED_VERSION]).toContain(result.error.code);
    expect(result.error.message.length).toBeGreaterThan(0);
  }
}

function isJsonObject(value: unknown): value is Frame {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const nonObjectJson = fc.jsonValue().filter((value) => !isJsonObject(value));
const nonStringType = fc.jsonValue({ maxDepth: 1 }).filter((value) => typeof value !== 'string');
const unknownClientType = fc.string({ maxLength: 12 }).filter((type) => !CLIENT_TYPES.has(type));
const unknownServerType = fc.string({ maxLength: 12 }).filter((type) => !SERVER_TYPES.has(type));
const jsonObject = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 });

/** Text that looks like JSON often enough to reach the parser's deeper paths. */
const jsonish = fc.string({
  unit: fc.constantFrom(...'{}[]":,-.0123456789eE truefalsnul\\u0d8type'.split('')),
  maxLength: 80,
});

describe('parseClientMessage (properties)', () => {
  describe('never throws', () => {
    test('on random bytes decoded as UTF-8', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
          expectSoundClientResult(parseClientMessage(utf8.decode(bytes)));
        }),
        RUNS,
      );
    });

    test('on random strings of any code points', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (raw) => {
          expectSoundClientResult(parseClientMessage(raw));
        }),
        RUNS,
      );
    });

    test('on JSON-looking text', () => {
      fc.assert(
        fc.property(jsonish, (raw) => {
          expectSoundClientResult(parseClientMessage(raw));
        }),
        RUNS,
      );
    });

    test('on any serialised value (fc.anything)', () => {
      fc.assert(
        fc.property(fc.anything(), (value) => {
          const raw = JSON.stringify(value) as string | undefined;
          if (raw === undefined) return;
          expectSoundClientResult(parseClientMessage(raw));
        }),
        RUNS,
      );
    });
  });

  describe('rejects what is not a message', () => {
    test('text that is not JSON is bad_request "frame is not valid JSON"', () => {
      const notJson = fc.oneof(jsonish, fc.string({ unit: 'binary', maxLength: 60 })).filter((raw) => {
        try {
          JSON.parse(raw);
          return false;
        } catch {
          return true;
        }
      });
      fc.assert(
        fc.property(notJson, (raw) => {
          expect(parseClientMessage(raw)).toEqual({
            ok: false,
            error: { code: ERROR_CODES.BAD_REQUEST, message: 'frame is not valid JSON' },
          });
        }),
        RUNS,
      );
    });

    test('JSON that is not an object is bad_request "frame is not a JSON object"', () => {
      fc.assert(
        fc.property(nonObjectJson, (value) => {
          expect(parseClientMessage(JSON.stringify(value))).toEqual({
            ok: false,
            error: { code: ERROR_CODES.BAD_REQUEST, message: 'frame is not a JSON object' },
          });
        }),
        RUNS,
      );
    });

    test('an object without a string type is bad_request "type: expected string"', () => {
      const withoutStringType = fc
        .tuple(jsonObject, fc.option(nonStringType, { nil: undefined }))
        .map(([frame, type]) => ({ ...frame, type }));
      fc.assert(
        fc.property(withoutStringType, (frame) => {
          const result = parseClientMessage(JSON.stringify(frame));
          expect(result.ok).toBe(false);
          if (!result.ok) expect(result.error.message).toBe('type: expected string');
        }),
        RUNS,
      );
    });

    test('an object whose type is not a client type is bad_request "unknown type"', () => {
      const unknown = fc.tuple(jsonObject, unknownClientType).map(([frame, type]) => ({ ...frame, type }));
      fc.assert(
        fc.property(unknown, (frame) => {
          const result = parseClientMessage(JSON.stringify(frame));
          expect(result.ok).toBe(false);
          if (!result.ok) {
            expect(result.error.code).toBe(ERROR_CODES.BAD_REQUEST);
            expect(result.error.message.startsWith('unknown type ')).toBe(true);
          }
        }),
        RUNS,
      );
    });

    test('a valid message with one field missing or of the wrong type is bad_request naming that field', () => {
      fc.assert(
        fc.property(withOneFieldBroken(clientMessage, CLIENT_OBJECTS), ({ frame, field, original }) => {
          const result = parseClientMessage(JSON.stringify(frame));
          expect(result.ok).toBe(false);
          if (result.ok) return;
          expect(result.error.code).toBe(ERROR_CODES.BAD_REQUEST);
          expect(result.error.message.startsWith(`${field}: `)).toBe(true);
          // The request's room is still echoed unless it is the broken field.
          expect(result.error.room).toBe(field === 'room' ? undefined : original.room);
          // A request id (send, edit, delete, react) is echoed only while it is intact.
          const idIntact = ID_REQUESTS.has(original.type as string) && field !== 'id';
          expect(result.error.id).toBe(idIntact ? original.id : undefined);
        }),
        RUNS,
      );
    });
  });

  test('agrees with an independent oracle on mutated messages (TypeBox interpreter + the version rule)', () => {
    fc.assert(
      fc.property(mutated(clientMessage), (frame) => {
        const raw = JSON.stringify(frame);
        // Re-read so the oracle sees exactly what the parser sees (e.g. -0 becomes 0).
        const sent: unknown = JSON.parse(raw);
        if (!isJsonObject(sent)) throw new Error('mutated() always builds an object');
        const result = parseClientMessage(raw);
        const type = sent.type as string;
        const schema = CLIENT_OBJECTS[type];
        if (!schema) throw new Error(`unexpected type ${type}`);
        const versionRefused = type === 'hello' && typeof sent.v === 'number' && sent.v !== PROTOCOL_VERSION;

        if (versionRefused) {
          expect(result).toMatchObject({ ok: false, error: { code: ERROR_CODES.UNSUPPORTED_VERSION } });
        } else if (Value.Check(schema, sent)) {
          expect(result).toEqual({ ok: true, message: sent });
        } else {
          expect(result).toMatchObject({ ok: false, error: { code: ERROR_CODES.BAD_REQUEST } });
        }
        if (!result.ok) {
          expect(result.error.room).toBe(typeof sent.room === 'string' ? sent.room : undefined);
          const echoId =
            ID_REQUESTS.has(type) && typeof sent.id === 'string' && MESSAGE_ID_PATTERN.test(sent.id);
          expect(result.error.id).toBe(echoId ? sent.id : undefined);
        }
      }),
      RUNS,
    );
  });

  test('never changes Object.prototype, whatever keys the frame holds', () => {
    const dangerousKey = fc.constantFrom(
      '__proto__',
      'constructor',
      'prototype',
      'toString',
      'hasOwnProperty',
    );
    const frame = fc.tuple(
      fc.option(fc.constantFrom(...CLIENT_TYPES), { nil: undefined }),
      fc.dictionary(dangerousKey, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }),
    );
    fc.assert(
      fc.property(frame, ([type, fields]) => {
        // Written by hand: an object literal cannot hold an own "__proto__" key to stringify.
        const members = Object.entries(fields).map(
          ([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`,
        );
        if (type !== undefined) members.push(`"type":${JSON.stringify(type)}`);
        const raw = `{${members.join(',')}}`;
        expectSoundClientResult(parseClientMessage(raw));
        expect(Object.keys(Object.prototype)).toEqual([]);
        expect(Object.getPrototypeOf({})).toBe(Object.prototype);
      }),
      RUNS,
    );
  });

  describe('round-trips every valid client message: parse(encode(m)) deep-equals m', () => {
    test.each(Object.entries(clientMessages))('%s', (_, arbitrary) => {
      fc.assert(
        fc.property(arbitrary, (message) => {
          expect(parseClientMessage(encodeClientMessage(message))).toEqual({ ok: true, message });
        }),
        FEW_RUNS,
      );
    });

    test('with unknown fields added, which are ignored', () => {
      const knownFields = new Set(
        Object.values(CLIENT_OBJECTS).flatMap((schema) => Object.keys(schema.properties)),
      );
      const extraKey = fc.string({ maxLength: 10 }).filter((key) => !knownFields.has(key));
      const extras = fc.dictionary(extraKey, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });
      fc.assert(
        fc.property(clientMessage, extras, (message, extra) => {
          const result = parseClientMessage(JSON.stringify({ ...extra, ...message }));
          expect(result).toMatchObject({ ok: true, message });
        }),
        RUNS,
      );
    });
  });
});

describe('parseServerMessage (properties)', () => {
  test('never throws, and accepts only valid server messages', () => {
    const raw = fc.oneof(
      fc.uint8Array({ maxLength: 200 }).map((bytes) => utf8.decode(bytes)),
      jsonish,
      fc.jsonValue().map((value) => JSON.stringify(value)),
    );
    fc.assert(
      fc.property(raw, (text) => {
        const result = parseServerMessage(text);
        if (result.ok) expect(Value.Check(ServerMessageSchema, result.message)).toBe(true);
        else expect(result.error.code).toBe(ERROR_CODES.BAD_REQUEST);
      }),
      RUNS,
    );
  });

  test('an object whose type is not a server type is "unknown type"', () => {
    const unknown = fc.tuple(jsonObject, unknownServerType).map(([frame, type]) => ({ ...frame, type }));
    fc.assert(
      fc.property(unknown, (frame) => {
        const result = parseServerMessage(JSON.stringify(frame));
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.error.message.startsWith('unknown type ')).toBe(true);
      }),
      RUNS,
    );
  });

  test('a valid message with one field missing or of the wrong type is bad_request naming that field', () => {
    fc.assert(
      fc.property(withOneFieldBroken(serverMessage, SERVER_OBJECTS), ({ frame, field }) => {
        const result = parseServerMessage(JSON.stringify(frame));
        expect(result).toMatchObject({ ok: false, error: { code: ERROR_CODES.BAD_REQUEST } });
        // A nested field is named by its path under the broken one: "user.id: Expected required property".
        if (!result.ok) expect(result.error.message).toMatch(new RegExp(`^${field}(\\.[\\w.]+)?: `));
      }),
      RUNS,
    );
  });

  test('agrees with the TypeBox interpreter on mutated messages', () => {
    fc.assert(
      fc.property(mutated(serverMessage), (frame) => {
        const raw = JSON.stringify(frame);
        const sent: unknown = JSON.parse(raw);
        if (!isJsonObject(sent)) throw new Error('mutated() always builds an object');
        const schema = SERVER_OBJECTS[sent.type as string];
        if (!schema) throw new Error('unexpected type');
        const result = parseServerMessage(raw);
        expect(result.ok).toBe(Value.Check(schema, sent));
      }),
      RUNS,
    );
  });

  describe('round-trips every valid server message: parse(encode(m)) deep-equals m', () => {
    test.each(Object.entries(serverMessages))('%s', (_, arbitrary) => {
      fc.assert(
        fc.property(arbitrary, (message) => {
          expect(parseServerMessage(encodeServerMessage(message))).toEqual({ ok: true, message });
        }),
        FEW_RUNS,
      );
    });
  });
});
