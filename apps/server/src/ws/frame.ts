/**
 * Server-to-client WebSocket text frames, built by hand (RFC 6455 §5.2):
 * unmasked, final, opcode 1. Building the bytes ourselves lets one broadcast
 * be encoded once and the same buffer be written to every recipient, where
 * `ws.send` would frame (and copy) the text once per socket.
 */
import type { ServerMessage } from '@tether/protocol';

import type { Frame } from '../chat/peer.js';

export interface WireFrame extends Frame {
  readonly bytes: Buffer;
}

export function textFrame(text: string): WireFrame {
  const length = Buffer.byteLength(text);
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const bytes = Buffer.allocUnsafe(headerLength + length);
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
  bytes.write(text, headerLength, 'utf8');
  return { bytes, byteLength: bytes.length };
}

export function encodeFrame(message: ServerMessage): WireFrame {
  return textFrame(JSON.stringify(message));
}

export function isWireFrame(frame: Frame): frame is WireFrame {
  return 'bytes' in frame && Buffer.isBuffer((frame as { bytes?: unknown }).bytes);
}
