/**
 * Every name Tether gives things in Redis, and the bus envelope, in one
 * place. Redis holds no chat data: only who is in which room on which
 * process, and the channel events go through.
 *
 * Every key and the channel start with the configured prefix, so several
 * chats can share one Redis (and each test server has its own).
 */
import type { BusEvent } from '../chat/ports.js';

/** Key segments after the prefix. */
export const SEGMENTS = {
  /** room → sorted set of [process, user id, name] entries scored by expiry. */
  presence: 'presence:',
  /** The pub/sub channel of the bus. */
  channel: 'bus',
} as const;

export class RedisKeys {
  constructor(readonly prefix: string) {}

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
