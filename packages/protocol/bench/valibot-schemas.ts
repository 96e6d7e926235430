/**
 * The client messages of protocol v1 written with Valibot 1, as close to
 * `src/schemas.ts` as Valibot allows, for the decode benchmark only.
 *
 * `v.number()` lets Infinity through (JSON's 1e400), so `v.finite()` is added
 * where TypeBox's `Type.Number` refuses it. `v.object` returns a copy without
 * unknown keys; our parser returns the parsed frame as is.
 */
import * as v from 'valibot';

import { LIMITS } from '../src/constants.js';
import type { ClientMessage } from '../src/types.js';

const finiteNumber = v.pipe(v.number(), v.finite());
const nonNegativeInt = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));
const positiveInt = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(Number.MAX_SAFE_INTEGER));
const requestId = v.pipe(
  v.string(),
  v.minLength(1),
  v.maxLength(LIMITS.MAX_MESSAGE_ID_CHARS),
  v.regex(/^[A-Za-z0-9_-]+$/),
);

export const ValibotClientMessage = v.variant('type', [
  v.object({ type: v.literal('hello'), v: finiteNumber, name: v.string(), token: v.optional(v.string()) }),
  v.object({
    type: v.literal('join'),
    room: v.string(),
    since: v.optional(nonNegativeInt),
    epoch: v.optional(v.string()),
  }),
  v.object({ type: v.literal('leave'), room: v.string() }),
  v.object({
    type: v.literal('rooms'),
    prefix: v.optional(v.pipe(v.string(), v.maxLength(LIMITS.MAX_PREFIX_CHARS), v.regex(/^[a-z0-9_-]*$/))),
    after: v.optional(v.pipe(v.string(), v.maxLength(LIMITS.MAX_PREFIX_CHARS))),
    limit: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(LIMITS.ROOMS_PAGE_LIMIT))),
  }),
  v.object({
    type: v.literal('members'),
    room: v.string(),
    prefix: v.optional(v.pipe(v.string(), v.maxLength(2 * LIMITS.MAX_PREFIX_CHARS))),
    after: v.optional(v.pipe(v.string(), v.maxLength(256))),
    limit: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(LIMITS.MEMBERS_PAGE_LIMIT))),
  }),
  v.object({
    type: v.literal('send'),
    room: v.string(),
    id: v.pipe(
      v.string(),
      v.minLength(1),
      v.maxLength(LIMITS.MAX_MESSAGE_ID_CHARS),
      v.regex(/^[A-Za-z0-9_-]+$/),
    ),
    text: v.string(),
    replyTo: v.optional(positiveInt),
  }),
  v.object({
    type: v.literal('edit'),
    room: v.string(),
    id: requestId,
    target: positiveInt,
    text: v.string(),
  }),
  v.object({ type: v.literal('delete'), room: v.string(), id: requestId, target: positiveInt }),
  v.object({
    type: v.literal('react'),
    room: v.string(),
    id: requestId,
    target: positiveInt,
    emoji: v.string(),
    on: v.boolean(),
  }),
  v.object({
    type: v.literal('history'),
    room: v.string(),
    before: v.optional(nonNegativeInt),
    limit: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(LIMITS.HISTORY_MAX_LIMIT))),
  }),
  v.object({ type: v.literal('typing'), room: v.string() }),
  v.object({ type: v.literal('ping'), t: finiteNumber }),
]);

type Inferred = v.InferOutput<typeof ValibotClientMessage>;
export const valibotMatchesOurs: [
  Inferred extends ClientMessage ? true : false,
  ClientMessage extends Inferred ? true : false,
] = [true, true];

export type SimpleResult = { ok: true; message: unknown } | { ok: false; message: string };

/** The same pipeline as `parseClientMessage`: JSON.parse, then the schema, first issue as the message. */
export function decodeWithValibot(raw: string): SimpleResult {
  let frame: unknown;
  try {
    frame = JSON.parse(raw);
  } catch {
    return { ok: false, message: 'frame is not valid JSON' };
  }
  return checkWithValibot(frame);
}

export function checkWithValibot(frame: unknown): SimpleResult {
  const result = v.safeParse(ValibotClientMessage, frame);
  if (result.success) return { ok: true, message: result.output };
  return { ok: false, message: result.issues[0].message };
}
