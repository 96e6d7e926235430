/**
 * Wire framing for the browser. Server frames are trusted after a cheap check:
 * the server validates what it sends from the same schemas, and a full schema
 * check here would put TypeBox into the bundle (see STYLE.md). The check still
 * keeps junk (a proxy's HTML error page, a binary frame) out of the handlers.
 */
import type { ClientMessage, ServerMessage, ServerMessageType } from '@tether/protocol';

// Every type, as the keys of a record, so a type added to the protocol is a
// compile error here until the client knows it (a frame of a type missing
// here would be dropped as junk).
const KNOWN: Record<ServerMessageType, true> = {
  welcome: true,
  rooms: true,
  joined: true,
  left: true,
  ack: true,
  message: true,
  history: true,
  presence: true,
  typing: true,
  pong: true,
  error: true,
  members: true,
  roster: true,
  renamed: true,
  update: true,
};
// A Set, not the record, for the lookup: `type` is whatever the frame says,
// and `"constructor" in {}` is true.
const SERVER_TYPES: ReadonlySet<string> = new Set(Object.keys(KNOWN));

/** A server frame, or null when it is not a JSON object with a known `type`. */
export function decodeServerFrame(data: unknown): ServerMessage | null {
  if (typeof data !== 'string') return null;
  let frame: unknown;
  try {
    frame = JSON.parse(data);
  } catch {
    return null;
  }
  if (typeof frame !== 'object' || frame === null) return null;
  const type: unknown = (frame as { type?: unknown }).type;
  return typeof type === 'string' && SERVER_TYPES.has(type) ? (frame as ServerMessage) : null;
}

/** Every server frame but the heartbeat's `pong`, which the socket takes itself. */
export type SessionFrame = Exclude<ServerMessage, { type: 'pong' }>;

export function encodeClientFrame(frame: ClientMessage): string {
  return JSON.stringify(frame);
}
