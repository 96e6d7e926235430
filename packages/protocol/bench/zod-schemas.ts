/**
 * The client messages of protocol v1 written with Zod 4, as close to
 * `src/schemas.ts` as Zod allows, for the decode benchmark only.
 *
 * Differences that remain (none affects the benchmark frames):
 * - `z.int()` refuses integers beyond ±2^53-1, as our schemas do (Type.Integer with a maximum).
 * - `z.object` returns a copy without unknown keys; our parser returns the parsed frame as is.
 */
import { z } from 'zod';

import { LIMITS } from '../src/constants.js';
import type { ClientMessage } from '../src/types.js';

const nonNegativeInt = z.int().min(0);
const positiveInt = z.int().min(1);
const requestId = z
  .string()
  .min(1)
  .max(LIMITS.MAX_MESSAGE_ID_CHARS)
  .regex(/^[A-Za-z0-9_-]+$/);

export const ZodClientMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('hello'), v: z.number(), name: z.string(), token: z.string().optional() }),
  z.object({
    type: z.literal('join'),
    room: z.string(),
    since: nonNegativeInt.optional(),
    epoch: z.string().optional(),
  }),
  z.object({ type: z.literal('leave'), room: z.string() }),
  z.object({
    type: z.literal('rooms'),
    prefix: z
      .string()
      .max(LIMITS.MAX_PREFIX_CHARS)
      .regex(/^[a-z0-9_-]*$/)
      .optional(),
    after: z.string().max(LIMITS.MAX_PREFIX_CHARS).optional(),
    limit: z.int().min(1).max(LIMITS.ROOMS_PAGE_LIMIT).optional(),
  }),
  z.object({
    type: z.literal('members'),
    room: z.string(),
    prefix: z
      .string()
      .max(2 * LIMITS.MAX_PREFIX_CHARS)
      .optional(),
    after: z.string().max(256).optional(),
    limit: z.int().min(1).max(LIMITS.MEMBERS_PAGE_LIMIT).optional(),
  }),
  z.object({
    type: z.literal('send'),
    room: z.string(),
    id: z
      .string()
      .min(1)
      .max(LIMITS.MAX_MESSAGE_ID_CHARS)
      .regex(/^[A-Za-z0-9_-]+$/),
    text: z.string(),
    replyTo: positiveInt.optional(),
  }),
  z.object({
    type: z.literal('edit'),
    room: z.string(),
    id: requestId,
    target: positiveInt,
    text: z.string(),
  }),
  z.object({ type: z.literal('delete'), room: z.string(), id: requestId, target: positiveInt }),
  z.object({
    type: z.literal('react'),
    room: z.string(),
    id: requestId,
    target: positiveInt,
    emoji: z.string(),
    on: z.boolean(),
  }),
  z.object({
    type: z.literal('history'),
    room: z.string(),
    before: nonNegativeInt.optional(),
    limit: z.int().min(1).max(LIMITS.HISTORY_MAX_LIMIT).optional(),
  }),
  z.object({ type: z.literal('typing'), room: z.string() }),
  z.object({ type: z.literal('ping'), t: z.number() }),
]);

// Both directions must hold, or the benchmark would compare different contracts.
type Inferred = z.infer<typeof ZodClientMessage>;
export const zodMatchesOurs: [
  Inferred extends ClientMessage ? true : false,
  ClientMessage extends Inferred ? true : false,
] = [true, true];

export type SimpleResult = { ok: true; message: unknown } | { ok: false; message: string };

/** The same pipeline as `parseClientMessage`: JSON.parse, then the schema, first issue as the message. */
export function decodeWithZod(raw: string): SimpleResult {
  let frame: unknown;
  try {
    frame = JSON.parse(raw);
  } catch {
    return { ok: false, message: 'frame is not valid JSON' };
  }
  return checkWithZod(frame);
}

export function checkWithZod(frame: unknown): SimpleResult {
  const result = ZodClientMessage.safeParse(frame);
  if (result.success) return { ok: true, message: result.data };
  return { ok: false, message: result.error.issues[0]?.message ?? 'invalid frame' };
}
