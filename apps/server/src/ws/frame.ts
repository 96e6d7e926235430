/**
 * Server-to-client WebSocket text frames, built by hand (RFC 6455 §5.2):
 * unmasked, final, opcode 1. Building the bytes ourselves lets one broadcast
 * be encoded once and the same buffer be written to every recipient, where
 * `ws.send` would frame (and copy) the text once per socket.
 */
import type { Joined, ServerMessage } from '@tether/protocol';

import type { Frame } from '../chat/ports.js';

export interface WireFrame extends Frame {
  /** The frame's first bytes (header and start of the payload). */
  readonly bytes: Buffer;
  /** The rest of the payload, when it is made of shared chunks (a member list). */
  readonly more?: readonly Buffer[];
}

/** The header of an unmasked final text frame with a payload of `length` bytes. */
function header(length: number, extra: number): { bytes: Buffer; offset: number } {
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const bytes = Buffer.allocUnsafe(headerLength + extra);
  bytes[0] = 0x81; // FIN + text
  if (length < 126) {
    bytes[1] = length;
  } else if (length < 65_536) {
    bytes[1] = 126;
    bytes.writeUInt16BE(length, 2);
  } else {
    bytes[1] = 127;
    bytes.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    bytes.writeUInt32BE(length >>> 0, 6);
  }
  return { bytes, offset: headerLength };
}

export function textFrame(text: string): WireFrame {
  const length = Buffer.byteLength(text);
  const { bytes, offset } = header(length, length);
  bytes.write(text, offset, 'utf8');
  return { bytes, byteLength: bytes.length };
}

export function encodeFrame(message: ServerMessage): WireFrame {
  return textFrame(JSON.stringify(message));
}

/**
 * A `joined` answer whose member list is already encoded (a JSON array in
 * chunks, see MemberList): the chunks are written as they are, not copied.
 */
export function encodeJoinedFrame(
  joined: Omit<Joined, 'type' | 'members'>,
  members: readonly Buffer[],
): WireFrame {
  const prefix =
    `{"type":"joined","room":${JSON.stringify(joined.room)},"epoch":${JSON.stringify(joined.epoch)}` +
    `,"seq":${JSON.stringify(joined.seq)},"members":`;
  const count =
    joined.memberCount === undefined ? '' : `,"memberCount":${JSON.stringify(joined.memberCount)}`;
  const next = joined.membersNext === undefined ? '' : `,"membersNext":${JSON.stringify(joined.membersNext)}`;
  const suffix = Buffer.from(
    `${count}${next},"messages":${JSON.stringify(joined.messages)},"hasMore":${JSON.stringify(joined.hasMore)}}`,
  );
  const prefixLength = Buffer.byteLength(prefix);
  let length = prefixLength + suffix.length;
  for (const chunk of members) length += chunk.length;
  const { bytes, offset } = header(length, prefixLength);
  bytes.write(prefix, offset, 'utf8');
  return { bytes, more: [...members, suffix], byteLength: offset + length };
}

export function isWireFrame(frame: Frame): frame is WireFrame {
  return 'bytes' in frame && Buffer.isBuffer((frame as { bytes?: unknown }).bytes);
}
