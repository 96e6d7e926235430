/**
 * Decoding of wire frames. `parseClientMessage` and `parseServerMessage` never
 * throw: every outcome, junk included, is a value.
 *
 * Checks are compiled once per message type (TypeBox's TypeCompiler). Where a
 * Content-Security-Policy forbids `new Function` (the browser), the same
 * schemas are checked by the interpreting `Value.Check` instead.
 */
import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';

import { ERROR_CODES, PROTOCOL_VERSION } from './constants.js';
import { isWellFormed } from './rules.js';
import { CLIENT_SCHEMAS, SERVER_SCHEMAS } from './schemas.js';
import type { ClientMessage, ServerMessage } from './types.js';

export interface DecodeError {
  code: typeof ERROR_CODES.BAD_REQUEST | typeof ERROR_CODES.UNSUPPORTED_VERSION;
  /** A sentence a developer can act on, e.g. "room: expected string". */
  message: string;
  /** The request's room, when it named one as a string (echoed in `error.room`). */
  room?: string;
  /** The id of a `send`, `edit`, `delete` or `react`, when it is a valid id (echoed in `error.id`). */
  id?: string;
}

export type DecodeResult<T> = { ok: true; message: T } | { ok: false; error: DecodeError };

interface Checker {
  check(value: unknown): boolean;
  firstError(value: unknown): string;
}

function compile(schema: TSchema): Checker {
  const describe = (error: { path: string; message: string } | undefined) =>
    error ? `${error.path.slice(1).replaceAll('/', '.') || 'frame'}: ${error.message}` : 'invalid frame';
  try {
    const compiled = TypeCompiler.Compile(schema);
    return {
      check: (value) => compiled.Check(value),
      firstError: (value) => describe(compiled.Errors(value).First()),
    };
  } catch {
    // `new Function` is refused (CSP without 'unsafe-eval'): interpret instead.
    return {
      check: (value) => Value.Check(schema, value),
      firstError: (value) => describe(Value.Errors(schema, value).First()),
    };
  }
}

/** Compiles lazily: a bundle that never parses a direction never compiles it. */
function checkerTable<K extends string>(schemas: Record<K, TSchema>): (type: string) => Checker | undefined {
  const cache = new Map<string, Checker>();
  return (type) => {
    if (!Object.hasOwn(schemas, type)) return undefined;
    let checker = cache.get(type);
    if (!checker) {
      checker = compile(schemas[type as K]);
      cache.set(type, checker);
    }
    return checker;
  };
}

const clientChecker = checkerTable(CLIENT_SCHEMAS);

/** Requests whose `id` is an idempotency key, echoed in their errors. */
export const ID_REQUESTS: ReadonlySet<string> = new Set(['send', 'edit', 'delete', 'react']);
const serverChecker = checkerTable(SERVER_SCHEMAS);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// A lone surrogate can only arrive as a JSON escape (raw ones are invalid UTF-8,
// refused by the WebSocket layer), so only frames with `\u` escapes are walked.
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

// Walks with its own stack, not recursion: a 64 KiB frame can nest ~32,000
// levels deep, which overflows the call stack (RangeError) long before that.
function hasLoneSurrogate(root: unknown): boolean {
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === 'string') {
      if (!isWellFormed(value)) return true;
    } else if (Array.isArray(value)) {
      for (const item of value) pending.push(item);
    } else if (isPlainObject(value)) {
      for (const item of Object.values(value)) pending.push(item);
    }
  }
  return false;
}

function decode<T>(
  raw: string,
  checkerFor: (type: string) => Checker | undefined,
  extra?: (frame: Record<string, unknown>) => DecodeError | undefined,
): DecodeResult<T> {
  let frame: unknown;
  try {
    frame = JSON.parse(raw);
  } catch {
    return { ok: false, error: { code: ERROR_CODES.BAD_REQUEST, message: 'frame is not valid JSON' } };
  }
  if (!isPlainObject(frame)) {
    return { ok: false, error: { code: ERROR_CODES.BAD_REQUEST, message: 'frame is not a JSON object' } };
  }
  const context: Pick<DecodeError, 'room' | 'id'> = {};
  if (typeof frame.room === 'string' && isWellFormed(frame.room)) context.room = frame.room;
  if (
    typeof frame.type === 'string' &&
    ID_REQUESTS.has(frame.type) &&
    typeof frame.id === 'string' &&
    /^[A-Za-z0-9_-]{1,64}$/.test(frame.id)
  ) {
    context.id = frame.id;
  }
  const type = frame.type;
  if (typeof type !== 'string') {
    return {
      ok: false,
      error: { code: ERROR_CODES.BAD_REQUEST, message: 'type: expected string', ...context },
    };
  }
  const checker = checkerFor(type);
  if (!checker) {
    return {
      ok: false,
      error: {
        code: ERROR_CODES.BAD_REQUEST,
        message: `unknown type ${JSON.stringify(type.slice(0, 32))}`,
        ...context,
      },
    };
  }
  const early = extra?.(frame);
  if (early) return { ok: false, error: { ...early, ...context } };
  if (!checker.check(frame)) {
    return {
      ok: false,
      error: { code: ERROR_CODES.BAD_REQUEST, message: checker.firstError(frame), ...context },
    };
  }
  // `includes` first: scanning for the escape costs ~1 µs on a 4000-character text.
  if (raw.includes('\\u') && SURROGATE_ESCAPE.test(raw) && hasLoneSurrogate(frame)) {
    return {
      ok: false,
      error: {
        code: ERROR_CODES.BAD_REQUEST,
        message: 'frame contains an unpaired UTF-16 surrogate',
        ...context,
      },
    };
  }
  return { ok: true, message: frame as T };
}

// A hello for another version may have another shape: answer the version first.
function checkVersion(frame: Record<string, unknown>): DecodeError | undefined {
  if (frame.type === 'hello' && typeof frame.v === 'number' && frame.v !== PROTOCOL_VERSION) {
    return {
      code: ERROR_CODES.UNSUPPORTED_VERSION,
      message: `protocol version ${String(frame.v)} is not supported; this server speaks ${PROTOCOL_VERSION}`,
    };
  }
  return undefined;
}

/** Decodes one client → server text frame. Never throws. */
export function parseClientMessage(raw: string): DecodeResult<ClientMessage> {
  return decode<ClientMessage>(raw, clientChecker, checkVersion);
}

/** Decodes one server → client text frame. Never throws. */
export function parseServerMessage(raw: string): DecodeResult<ServerMessage> {
  return decode<ServerMessage>(raw, serverChecker);
}

/** Checks an already-decoded value against one schema (tests, tools). */
export function isValid<T extends TSchema>(schema: T, value: unknown): value is Static<T> {
  return Value.Check(schema, value);
}

export function encodeClientMessage(message: ClientMessage): string {
  return JSON.stringify(message);
}

export function encodeServerMessage(message: ServerMessage): string {
  return JSON.stringify(message);
}
