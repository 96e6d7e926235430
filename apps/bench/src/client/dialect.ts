/**
 * What each server speaks on top of WebSocket text frames: how to say hello,
 * join and send, and how to tell the frames the benchmark cares about apart
 * by looking at one or two bytes instead of parsing JSON.
 *
 * - tether: docs/protocol.md (hello → welcome, join → joined, send → ack + message).
 * - naive: the tutorial room: join → joined, send → message to everyone.
 * - socketio: Engine.IO 4 / Socket.IO 5 packets over the websocket transport:
 *   open `0{…}`, connect `40`, event `42[…]`, event with ack `42<n>[…]`,
 *   ack `43<n>[…]`, ping `2` → pong `3`.
 */
export type DialectName = 'tether' | 'naive' | 'socketio';

export const PATHS: Record<DialectName, string> = {
  tether: '/ws',
  naive: '/ws',
  socketio: '/socket.io/?EIO=4&transport=websocket',
};

export type FrameKind =
  'message' | 'ack' | 'error' | 'welcome' | 'joined' | 'eio-open' | 'eio-ping' | 'sio-connect' | 'other';

const BRACE = 0x7b; // {
const CHAR_0 = 0x30;

/** Classifies a frame of `dialect` by its first bytes. */
export function classify(dialect: DialectName, buf: Buffer, start: number, end: number): FrameKind {
  if (dialect === 'socketio') {
    const first = buf[start];
    if (first === 0x32 && end - start === 1) return 'eio-ping'; // "2"
    if (first === CHAR_0) return 'eio-open'; // "0{…}"
    if (first !== 0x34) return 'other'; // "4": a Socket.IO packet
    const type = buf[start + 1];
    if (type === CHAR_0) return 'sio-connect'; // "40{…}"
    if (type === 0x33) return 'ack'; // "43<n>[…]"
    if (type === 0x32) return buf[start + 2] === 0x5b ? 'message' : 'other'; // 42["msg",…]
    if (type === 0x34) return 'error'; // connect_error
    return 'other';
  }
  // {"type":"X… : the type's first letter is at offset 9.
  if (buf[start] !== BRACE || end - start < 12) return 'other';
  switch (buf[start + 9]) {
    case 0x6d: // m
      return 'message';
    case 0x61: // a
      return 'ack';
    case 0x65: // e
      return 'error';
    case 0x77: // w
      return 'welcome';
    case 0x6a: // j
      return 'joined';
    default:
      return 'other';
  }
}

export function helloFrame(name: string, token: string | undefined): string {
  return token === undefined
    ? `{"type":"hello","v":1,"name":"${name}"}`
    : `{"type":"hello","v":1,"name":"${name}","token":"${token}"}`;
}

/** A join; `since`/`epoch` only for dialects with history (resume). */
export function joinFrame(
  dialect: DialectName,
  room: string,
  ackId: number,
  since?: { cursor: number; epoch: string | undefined },
): string {
  if (dialect === 'socketio') {
    return since ? `42${ackId}["join","${room}",${since.cursor}]` : `42${ackId}["join","${room}"]`;
  }
  if (dialect === 'tether' && since?.epoch !== undefined) {
    return `{"type":"join","room":"${room}","since":${since.cursor},"epoch":"${since.epoch}"}`;
  }
  return `{"type":"join","room":"${room}"}`;
}

/**
 * A send. Ids and texts are made by the benchmark from [A-Za-z0-9~x] only,
 * so they need no JSON escaping. Socket.IO sends carry an ack id only when
 * the server is to answer (`ackId` ≥ 0).
 */
export function sendFrame(
  dialect: DialectName,
  room: string,
  id: string,
  text: string,
  ackId: number,
): string {
  if (dialect === 'socketio') {
    return ackId >= 0
      ? `42${ackId}["msg","${room}","${id}","${text}"]`
      : `42["msg","${room}","${id}","${text}"]`;
  }
  return `{"type":"send","room":"${room}","id":"${id}","text":"${text}"}`;
}

/** The Socket.IO ack id of a `43<n>[…]` frame, or -1. */
export function socketIoAckId(buf: Buffer, start: number, end: number): number {
  let n = 0;
  let i = start + 2;
  for (; i < end; i++) {
    const c = buf[i] as number;
    if (c < CHAR_0 || c > 0x39) break;
    n = n * 10 + (c - CHAR_0);
  }
  return i === start + 2 ? -1 : n;
}

const ID_KEY = Buffer.from('"id":"');

/** The `id` string of a Tether ack or error frame, or undefined. */
export function tetherId(buf: Buffer, start: number, end: number): string | undefined {
  const at = buf.indexOf(ID_KEY, start);
  if (at < 0 || at >= end) return undefined;
  const from = at + ID_KEY.length;
  const to = buf.indexOf(0x22, from);
  return to < 0 || to > end ? undefined : buf.toString('latin1', from, to);
}

/** Reads the unsigned integer after `key` (e.g. `"seq":`) within the frame, or -1. */
export function numberAfter(buf: Buffer, start: number, end: number, key: Buffer): number {
  const at = buf.indexOf(key, start);
  if (at < 0 || at >= end) return -1;
  let n = 0;
  let i = at + key.length;
  const from = i;
  for (; i < end; i++) {
    const c = buf[i] as number;
    if (c < CHAR_0 || c > 0x39) break;
    n = n * 10 + (c - CHAR_0);
  }
  return i === from ? -1 : n;
}
