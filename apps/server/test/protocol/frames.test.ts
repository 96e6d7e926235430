/**
 * docs/protocol.md › Transport › Frames: text frames of at most 64 KiB, valid
 * UTF-8, uncompressed and masked; anything else closes the connection with
 * the code the protocol names for it (1002, 1003, 1007, 1008, 1009). Raw
 * sockets send frames no WebSocket library would. (Fragment floods and
 * messages that never finish, measured on a server process: process/fragments.test.ts.)
 */
import { CLOSE_CODES, LIMITS } from '@tether/protocol';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import { MAX_BUFFERED_CHUNKS } from '../../src/ws/gateway.js';
import type { TestClient } from '../helpers/client.js';
import { OPCODE, RawWebSocket, clientFrame, handshake, rawRequest } from '../helpers/raw.js';
import { startTestServer } from '../helpers/server.js';

describe('framing', () => {
  it('closes with 1003 on a binary frame', async () => {
    await using srv = await startTestServer();
    const client = await srv.user('binary');
    client.sendRaw(Buffer.from(JSON.stringify({ type: 'ping', t: 1 })));
    expect((await client.closed()).code).toBe(CLOSE_CODES.UNSUPPORTED_DATA);
  });

  it('completes a normal close with 1000', async () => {
    await using srv = await startTestServer();
    const client = await srv.user('leaving');
    expect((await client.close(1000)).code).toBe(CLOSE_CODES.NORMAL);
  });

  it('accepts a frame of exactly MAX_FRAME_BYTES bytes', async () => {
    await using srv = await startTestServer();
    const client = await srv.user('edge');
    const frame = frameOfBytes(LIMITS.MAX_FRAME_BYTES, 4242);
    expect(Buffer.byteLength(frame)).toBe(65_536);
    client.sendRaw(frame);
    expect(await client.next('pong')).toMatchObject({ type: 'pong', t: 4242 });
    expect(client.isOpen()).toBe(true);
  });

  it('serves clients that connect after one was closed for a binary frame', async () => {
    await using srv = await startTestServer();
    const bad = await srv.user('bad');
    bad.sendRaw(Buffer.from('x'));
    await bad.closed();
    const good: TestClient = await srv.user('good');
    await good.roundTrip();
  });
});

/** A `ping` with an ignored padding field, exactly `bytes` long in UTF-8. */
function frameOfBytes(bytes: number, t = 1): string {
  const empty = JSON.stringify({ type: 'ping', t, pad: '' });
  return JSON.stringify({ type: 'ping', t, pad: 'x'.repeat(bytes - empty.length) });
}

describe('frame size', () => {
  it.each([
    ['1 GiB', 2 ** 30],
    ['2^53 bytes', 2 ** 53],
    ['MAX_FRAME_BYTES + 1', LIMITS.MAX_FRAME_BYTES + 1],
  ])('closes with 1009 as soon as a header announces %s, before the payload', async (_what, length) => {
    await using srv = await startTestServer();
    const ws = await RawWebSocket.open(srv.server.port);
    ws.send(OPCODE.TEXT, Buffer.alloc(0), { announcedLength: length });
    expect((await ws.closed()).code).toBe(CLOSE_CODES.MESSAGE_TOO_BIG);
  });

  it('closes with 1009 when fragments under the limit add up to more than MAX_FRAME_BYTES', async () => {
    await using srv = await startTestServer();
    const ws = await RawWebSocket.open(srv.server.port);
    const piece = Buffer.alloc(16 * 1024, 0x61);
    ws.send(OPCODE.TEXT, piece, { fin: false });
    for (let i = 0; i < 4; i++) ws.send(OPCODE.CONTINUATION, piece, { fin: false });
    expect((await ws.closed()).code).toBe(CLOSE_CODES.MESSAGE_TOO_BIG);
  });
});

describe('a frame trickled in tiny reads', () => {
  it(`closes with 1008 once ws holds more than ${MAX_BUFFERED_CHUNKS} reads of one unfinished frame`, async () => {
    await using srv = await startTestServer();
    const ws = await RawWebSocket.open(srv.server.port);
    const frame = clientFrame(OPCODE.TEXT, Buffer.alloc(60_000, 0x20));
    ws.socket.write(frame.subarray(0, 8)); // the header: 2 + 2 (length) + 4 (mask)
    // One byte per turn of the event loop: the server (in this process) reads each on its own.
    let at = 8;
    while (at < 8 + 3 * MAX_BUFFERED_CHUNKS && !ws.closeFrameReceived && !ws.isClosed) {
      ws.socket.write(frame.subarray(at, ++at));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect((await ws.closed()).code).toBe(CLOSE_CODES.POLICY_VIOLATION);
    expect(at - 8).toBeGreaterThan(MAX_BUFFERED_CHUNKS * 0.9);
  });
});

describe('UTF-8, binary, compression and framing errors', () => {
  it.each([
    ['a truncated sequence', Buffer.from([0x7b, 0xc3, 0x28, 0x7d])],
    ['an encoded surrogate (CESU-8)', Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22])],
    ['a code point above U+10FFFF', Buffer.from([0xf4, 0x90, 0x80, 0x80])],
    ['an overlong encoding of "/"', Buffer.from([0xc0, 0xaf])],
    ['a 0xFF byte', Buffer.from([0x7b, 0xff, 0x7d])],
  ])('closes with 1007 on a text frame with %s', async (_what, bytes) => {
    await using srv = await startTestServer();
    const ws = await RawWebSocket.open(srv.server.port);
    ws.send(OPCODE.TEXT, bytes);
    expect((await ws.closed()).code).toBe(1007);
  });

  it('closes with 1007 when invalid UTF-8 comes in a later fragment', async () => {
    await using srv = await startTestServer();
    const ws = await RawWebSocket.open(srv.server.port);
    ws.send(OPCODE.TEXT, '{"type":"ping","t":1,"x":"', { fin: false });
    ws.send(OPCODE.CONTINUATION, Buffer.from([0xe2, 0x82]), { fin: false }); // a valid start…
    ws.send(OPCODE.CONTINUATION, Buffer.from([0x41, 0x22, 0x7d]), { fin: true }); // …that is never completed
    expect((await ws.closed()).code).toBe(1007);
  });

  it.each([
    ['a binary frame before hello', [clientFrame(OPCODE.BINARY, Buffer.from('{"type":"ping","t":1}'))]],
    [
      'a fragmented binary message',
      [
        clientFrame(OPCODE.BINARY, Buffer.from('{"type":'), { fin: false }),
        clientFrame(OPCODE.CONTINUATION, Buffer.from('"ping","t":1}')),
      ],
    ],
    ['an empty binary frame', [clientFrame(OPCODE.BINARY, Buffer.alloc(0))]],
  ])('closes with 1003 on %s', async (_what, frames) => {
    await using srv = await startTestServer();
    const ws = await RawWebSocket.open(srv.server.port);
    ws.socket.write(Buffer.concat(frames));
    expect((await ws.closed()).code).toBe(CLOSE_CODES.UNSUPPORTED_DATA);
  });

  it.each([
    ['a compressed (RSV1) frame, never negotiated', clientFrame(OPCODE.TEXT, 'x', { rsv1: true })],
    ['an unmasked client frame', clientFrame(OPCODE.TEXT, '{"type":"ping","t":1}', { mask: false })],
    ['a reserved opcode', clientFrame(3, 'x')],
    ['a fragmented ping', clientFrame(OPCODE.PING, 'x', { fin: false })],
    ['a ping over 125 bytes', clientFrame(OPCODE.PING, Buffer.alloc(126))],
    ['a continuation with nothing to continue', clientFrame(OPCODE.CONTINUATION, 'x')],
    [
      'a new message inside a fragmented one',
      Buffer.concat([clientFrame(OPCODE.TEXT, 'a', { fin: false }), clientFrame(OPCODE.TEXT, 'b')]),
    ],
  ])('closes with 1002 on %s', async (_what, bytes) => {
    await using srv = await startTestServer();
    const ws = await RawWebSocket.open(srv.server.port);
    ws.socket.write(bytes);
    expect((await ws.closed()).code).toBe(CLOSE_CODES.PROTOCOL_ERROR);
  });

  it('does not negotiate permessage-deflate, however it is offered', async () => {
    await using srv = await startTestServer();
    const port = srv.server.port;
    for (const offer of [
      'permessage-deflate',
      'permessage-deflate; client_max_window_bits',
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover',
      'x-webkit-deflate-frame',
    ]) {
      const res = await rawRequest(port, handshake(port, [`Sec-WebSocket-Extensions: ${offer}`]));
      expect(res.status, offer).toBe(101);
      expect(res.headers['sec-websocket-extensions'], offer).toBeUndefined();
    }
    // And a real client that asks for it ends up without it, and is served.
    const ws = new WebSocket(srv.wsUrl, { perMessageDeflate: true });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    expect(ws.extensions).toBe('');
    ws.terminate();
  });
});
