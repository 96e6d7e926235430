/**
 * Every name Tether gives things in Redis, and the bus envelope, in one
 * place: the TypeScript code and the Lua scripts build keys from the same
 * segments, and the append script wraps a message in the same envelope the
 * bus decodes.
 *
 * Every key and the channel start with the configured prefix, so several
 * chats can share one Redis (and each test server has its own).
 */
import type { BusEvent } from '../chat/ports.js';

/** Key segments after the prefix; the Lua scripts interpolate these too. */
export const SEGMENTS = {
  /** name key → user id holding it (expires with the holder's token). */
  name: 'name:',
  /** token hash → user id. */
  token: 'token:',
  /** user id → hash {name, key, token}. */
  user: 'user:',
  /** user id → hash {client id → "room seq ts"}: the idempotency keys. */
  acks: 'acks:',
  /** room → hash {epoch, seq}. */
  room: 'room:',
  /** room → sorted set of message JSON by seq. */
  msgs: 'msgs:',
  /** The set of every room name. */
  rooms: 'rooms',
  /** room → sorted set of [process, user id, name] entries scored by expiry. */
  presence: 'presence:',
  /** The pub/sub channel of the bus. */
  channel: 'bus',
} as const;

export class RedisKeys {
  constructor(readonly prefix: string) {}

  name(nameKey: string): string {
    return `${this.prefix}${SEGMENTS.name}${nameKey}`;
  }
  token(tokenHash: string): string {
    return `${this.prefix}${SEGMENTS.token}${tokenHash}`;
  }
  user(userId: string): string {
    return `${this.prefix}${SEGMENTS.user}${userId}`;
  }
  acks(userId: string): string {
    return `${this.prefix}${SEGMENTS.acks}${userId}`;
  }
  room(room: string): string {
    return `${this.prefix}${SEGMENTS.room}${room}`;
  }
  messages(room: string): string {
    return `${this.prefix}${SEGMENTS.msgs}${room}`;
  }
  rooms(): string {
    return `${this.prefix}${SEGMENTS.rooms}`;
  }
  presence(room: string): string {
    return `${this.prefix}${SEGMENTS.presence}${room}`;
  }
  channel(): string {
    return `${this.prefix}${SEGMENTS.channel}`;
  }
}

/** What goes over the channel: the sending process (which ignores its own) and the event. */
export interface Envelope {
  n: string;
  e: BusEvent;
}

export function encodeEnvelope(nodeId: string, event: BusEvent): string {
  return JSON.stringify({ n: nodeId, e: event } satisfies Envelope);
}

/** The envelope in a payload, or null when it is not one (another program on the channel). */
export function decodeEnvelope(payload: string): Envelope | null {
  try {
    const parsed = JSON.parse(payload) as Partial<Envelope> | null;
    return typeof parsed?.n === 'string' && typeof parsed.e === 'object' ? (parsed as Envelope) : null;
  } catch {
    return null;
  }
}

/**
 * The envelope of a message event as the text before and after the message's
 * JSON: the append script builds the message around its new seq and publishes
 * `head .. message .. tail`, which `decodeEnvelope` reads as
 * `{n, e: {kind: 'message', message}}`.
 */
export function messageEnvelope(nodeId: string): { head: string; tail: string } {
  return { head: `{"n":${JSON.stringify(nodeId)},"e":{"kind":"message","message":`, tail: '}}' };
}
