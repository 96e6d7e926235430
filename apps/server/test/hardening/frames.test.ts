/**
 * Hardening › frames: what a client can send after the handshake — frames too
 * big or never finished, bytes that are not UTF-8, binary and compressed
 * frames, and JSON built to hurt a parser (deep nesting, prototype keys, huge
 * numbers, lone surrogates).
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { CLOSE_CODES, ERROR_CODES, LIMITS } from '@tether/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import { MAX_BUFFERED_CHUNKS, MAX_FRAGMENTS_PER_MESSAGE } from '../../src/ws/gateway.js';
import { spawnServer, type ChildServer } from '../helpers/child.js';
import { isError, type TestClient } from '../helpers/client.js';
import { rssBytes, sample, scrape } from '../helpers/metrics.js';
import { OPCODE, RawWebSocket, clientFrame, handshake, rawRequest } from '../helpers/raw.js';
import { makeTempDir, startTestServer } from '../helpers/server.js';

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

describe('fragments and unfinished messages (server in a child process)', () => {
  // A live client has interval + timeout (1 s) to answer a ping or finish a
  // message: room for this test process to be slow to run on a loaded machine.
  const INTERVAL = 400;
  const TIMEOUT = 600;
  /** 2 × interval + timeout, and slack for a loaded machine. */
  const DEAD_BY_MS = 2 * INTERVAL + TIMEOUT + 600;
  let child: ChildServer;
  let port: number;
  let dir: string;

  beforeAll(async () => {
    dir = await makeTempDir();
    child = spawnServer({
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_PATH: join(dir, 'chat.db'),
      LOG_LEVEL: 'info',
      HEARTBEAT_INTERVAL_MS: String(INTERVAL),
      HEARTBEAT_TIMEOUT_MS: String(TIMEOUT),
    });
    port = await child.listening();
  });

  afterAll(async () => {
    child.kill('SIGKILL');
    await child.exited(5000).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('closes connections sending 20,000 tiny fragments of a message that never ends; RSS grows < 50 MB', async () => {
    const CONNECTIONS = 20;
    const FRAGMENTS = 20_000;
    const pid = child.process.pid!;
    // Warm up: the first connections load code and fill caches.
    for (let i = 0; i < 3; i++) {
      const warm = await RawWebSocket.open(port);
      warm.sendText('{"type":"ping","t":1}');
      await warm.nextJson((f) => f.type === 'error' || f.type === 'pong');
      warm.destroy();
    }
    await sleep(200);
    const before = await rssBytes(pid);
    let peak = before;
    const sampler = setInterval(() => {
      rssBytes(pid).then(
        (rss) => {
          peak = Math.max(peak, rss);
        },
        () => undefined,
      );
    }, 20);
    // Built before any socket opens: building takes long enough to miss the heartbeat's pings.
    const frames = [clientFrame(OPCODE.TEXT, 'x', { fin: false })];
    for (let i = 1; i < FRAGMENTS; i++) frames.push(clientFrame(OPCODE.CONTINUATION, 'x', { fin: false }));
    const flood = Buffer.concat(frames);
    const opened = Date.now();
    try {
      const sockets = await Promise.all(Array.from({ length: CONNECTIONS }, () => RawWebSocket.open(port)));
      for (const ws of sockets) ws.socket.write(flood);
      const closes = await Promise.all(sockets.map((ws) => ws.closed(5000)));
      // 1008 from the fragment cap (the heartbeat would terminate without a close frame).
      expect(closes.map((c) => c.code)).toEqual(Array(CONNECTIONS).fill(CLOSE_CODES.POLICY_VIOLATION));
      console.log(`fragment flood: all ${CONNECTIONS} closed within ${Date.now() - opened} ms`);
    } finally {
      clearInterval(sampler);
    }
    const after = await rssBytes(pid);
    peak = Math.max(peak, after);
    console.log(
      `fragment flood: ${CONNECTIONS} × ${FRAGMENTS} fragments; RSS before ${mb(before)}, peak ${mb(peak)}, after ${mb(after)} (growth ${mb(peak - before)})`,
    );
    expect(peak - before).toBeLessThan(50 * 1024 * 1024);
    const metrics = await scrape(`http://127.0.0.1:${port}`);
    expect(
      sample(metrics, 'tether_transport_errors_total{reason="WS_ERR_TOO_MANY_BUFFERED_PARTS"}'),
    ).toBeGreaterThanOrEqual(CONNECTIONS);
  });

  it(`closes a message within the first ${MAX_FRAGMENTS_PER_MESSAGE} fragments or so, not thousands later`, async () => {
    const ws = await RawWebSocket.open(port);
    ws.send(OPCODE.TEXT, 'x', { fin: false });
    let written = 1;
    // Batches of 100 fragments, each followed by a ping: its pong proves the
    // server has read everything before it.
    for (let batch = 0; written < 20_000; batch++) {
      const frames: Buffer[] = [];
      for (let i = 0; i < 100; i++) frames.push(clientFrame(OPCODE.CONTINUATION, 'x', { fin: false }));
      frames.push(clientFrame(OPCODE.PING, `b${batch}`));
      ws.socket.write(Buffer.concat(frames));
      written += 100;
      if (!(await ws.pongOrClose(`b${batch}`))) break;
    }
    expect((await ws.closed()).code).toBe(CLOSE_CODES.POLICY_VIOLATION);
    expect(written).toBeLessThanOrEqual(MAX_FRAGMENTS_PER_MESSAGE + 200);
  });

  it('terminates a connection whose fragments trickle in for longer than interval + timeout, pongs or not', async () => {
    const ws = await RawWebSocket.open(port);
    const started = Date.now();
    ws.send(OPCODE.TEXT, '{"type":', { fin: false });
    const trickle = setInterval(() => ws.send(OPCODE.CONTINUATION, ' ', { fin: false }), 50);
    try {
      const { code } = await ws.closed(DEAD_BY_MS + 2000);
      expect(code).toBe(1006);
      expect(Date.now() - started).toBeLessThanOrEqual(DEAD_BY_MS);
      expect(Date.now() - started).toBeGreaterThanOrEqual(INTERVAL + TIMEOUT - 50);
      expect(ws.pings).toBeGreaterThanOrEqual(1); // it answered the server's pings all along
    } finally {
      clearInterval(trickle);
      ws.destroy();
    }
  });

  // A pong cannot be sent in the middle of a frame, so a frame trickled this
  // slowly leaves the link silent: the heartbeat's silent rule ends it.
  it('terminates a connection that trickles one frame a byte at a time', async () => {
    const ws = await RawWebSocket.open(port);
    ws.responsive = false;
    const started = Date.now();
    const body = clientFrame(OPCODE.TEXT, Buffer.alloc(1000, 0x20));
    ws.socket.write(body.subarray(0, 8)); // 2 + 2 (length 1000) + 4 (mask): the header only
    let at = 8;
    const trickle = setInterval(() => {
      if (at < body.length && !ws.socket.destroyed) ws.socket.write(body.subarray(at, ++at));
    }, 50);
    try {
      expect((await ws.closed(DEAD_BY_MS + 2000)).code).toBe(1006);
      expect(Date.now() - started).toBeLessThanOrEqual(DEAD_BY_MS);
    } finally {
      clearInterval(trickle);
      ws.destroy();
    }
  });

  it('keeps a client whose fragmented messages do finish, and that answers pings', async () => {
    const ws = await RawWebSocket.open(port);
    for (let round = 0; round < 3; round++) {
      const text = `{"type":"ping","t":${round}}`;
      ws.send(OPCODE.TEXT, text.slice(0, 5), { fin: false });
      for (const piece of text
        .slice(5)
        .match(/.{1,3}/g)!
        .slice(0, -1)) {
        await sleep(30);
        ws.send(OPCODE.CONTINUATION, piece, { fin: false });
      }
      ws.send(
        OPCODE.CONTINUATION,
        text
          .slice(5)
          .match(/.{1,3}/g)!
          .at(-1)!,
        { fin: true },
      );
      // Before hello, the answer is not_authenticated: it proves the message was whole.
      await ws.nextJson((f) => f.type === 'error' && f.code === ERROR_CODES.NOT_AUTHENTICATED);
    }
    await sleep(DEAD_BY_MS);
    expect(ws.isClosed).toBe(false);
    ws.destroy();
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

/** `depth` arrays around `inner`: `[[[inner]]]`. */
const arrays = (depth: number, inner = '1') => '['.repeat(depth) + inner + ']'.repeat(depth);
/** `depth` objects around `inner`: `{"a":{"a":inner}}`. */
const objects = (depth: number, inner = '1') => '{"a":'.repeat(depth) + inner + '}'.repeat(depth);

describe('hostile JSON', () => {
  /** Sends each frame, expects bad_request for each, and a pong after: still served. */
  async function expectBadRequests(client: TestClient, frames: readonly string[]): Promise<void> {
    for (const frame of frames) {
      client.sendRaw(frame);
      const answer = await client.next(['error', 'pong', 'welcome', 'ack', 'joined'], 5000);
      expect(answer, frame.slice(0, 80)).toMatchObject({ type: 'error', code: ERROR_CODES.BAD_REQUEST });
    }
    await client.roundTrip();
  }

  it('answers JSON nested 10,000 deep (and as deep as 64 KiB allows) with bad_request, and serves on', async () => {
    await using srv = await startTestServer();
    const client = await srv.user('deep');
    await client.join('general');
    const deepest = Math.floor((LIMITS.MAX_FRAME_BYTES - 64) / 2);
    await expectBadRequests(client, [
      arrays(10_000),
      objects(10_000),
      `{"type":"send","room":"general","id":"d1","text":${arrays(10_000, '"x"')}}`,
      `{"type":"hello","v":1,"name":${objects(10_000, '"x"')}}`,
      // A lone surrogate at the bottom: the surrogate walk must not recurse.
      `{"type":"ping","t":1,"x":${arrays(deepest - 20, '"\\ud800"')}}`,
      arrays(deepest),
    ]);
    // Deep nesting in a field the protocol ignores is just ignored.
    client.sendRaw(`{"type":"ping","t":7,"x":${arrays(10_000)}}`);
    expect(await client.next('pong')).toEqual({ type: 'pong', t: 7 });
  });

  it('treats __proto__ and constructor as plain keys and values: no prototype pollution', async () => {
    const protoKeys = Object.getOwnPropertyNames(Object.prototype).sort();
    const arrayKeys = Object.getOwnPropertyNames(Array.prototype).sort();
    await using srv = await startTestServer();
    const polluter = await srv.connect();
    polluter.sendRaw(
      '{"type":"hello","v":1,"name":"__proto__","__proto__":{"polluted":"hello","type":"send"},' +
        '"constructor":{"prototype":{"polluted":"hello"}}}',
    );
    const { user } = await polluter.next('welcome');
    expect(user.name).toBe('__proto__');
    for (const name of ['constructor', 'hasOwnProperty', 'toString', 'prototype']) {
      expect((await srv.user(name)).user!.name).toBe(name);
    }
    polluter.sendRaw('{"type":"join","room":"constructor","__proto__":{"polluted":"join","since":0}}');
    const joined = await polluter.next('joined');
    expect(joined.room).toBe('constructor');
    polluter.sendRaw('{"type":"join","room":"prototype"}');
    expect(await polluter.next('joined')).toMatchObject({ room: 'prototype' });
    for (const id of ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty']) {
      polluter.sendRaw(
        JSON.stringify({ type: 'send', room: 'constructor', id, text: id }).replace(
          '}',
          ',"__proto__":{"polluted":"send","from":{"id":"u_x","name":"x"}}}',
        ),
      );
      expect(await polluter.next('ack')).toMatchObject({ room: 'constructor', id });
    }
    // The id `__proto__` is an idempotency key like any other.
    polluter.send({ type: 'send', room: 'constructor', id: '__proto__', text: 'again' });
    expect(await polluter.next('ack')).toMatchObject({ id: '__proto__', seq: 1 });
    polluter.send({ type: 'history', room: 'constructor', limit: 100 });
    const history = await polluter.next('history');
    expect(history.messages.map((m) => m.id)).toEqual([
      '__proto__',
      'constructor',
      'toString',
      'valueOf',
      'hasOwnProperty',
    ]);
    expect(history.messages.every((m) => m.from.id === user.id)).toBe(true);
    polluter.send({ type: 'hello', v: 1, name: 'x', token: '__proto__' });
    await polluter.nextError(ERROR_CODES.BAD_REQUEST); // a second hello
    const stranger = await srv.connect();
    stranger.send({ type: 'hello', v: 1, name: 'x', token: '__proto__' });
    await stranger.nextError(ERROR_CODES.INVALID_TOKEN);
    stranger.send({ type: 'rooms' });
    await stranger.nextError(ERROR_CODES.NOT_AUTHENTICATED);

    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoKeys);
    expect(Object.getOwnPropertyNames(Array.prototype).sort()).toEqual(arrayKeys);
    expect(Object.prototype.toString.call({})).toBe('[object Object]');
  });

  it('answers numbers beyond what a field can hold with bad_request and echoes the ones it can', async () => {
    await using srv = await startTestServer();
    const client = await srv.user('numbers');
    await client.join('general');
    await expectBadRequests(client, [
      '{"type":"ping","t":1e309}',
      '{"type":"ping","t":-1e309}',
      `{"type":"ping","t":1${'0'.repeat(60_000)}}`,
      '{"type":"join","room":"general","since":9007199254740993,"epoch":"e"}',
      '{"type":"join","room":"general","since":1e300,"epoch":"e"}',
      '{"type":"history","room":"general","limit":1e300}',
      '{"type":"history","room":"general","before":1e400}',
    ]);
    for (const t of ['1e308', '-1e308', '5e-324', '123456789012345678901234567890', '-0']) {
      client.sendRaw(`{"type":"ping","t":${t}}`);
      const pong = await client.next('pong');
      expect(pong.t).toBe(Number(t) === 0 ? 0 : Number(t));
    }
    // A version that is a number but not 1 (Infinity here) is another version.
    const other = await srv.connect();
    other.sendRaw('{"type":"hello","v":1e400,"name":"x"}');
    await other.nextError(ERROR_CODES.UNSUPPORTED_VERSION);
    expect((await other.closed()).code).toBe(CLOSE_CODES.PROTOCOL_ERROR);
    await client.roundTrip();
  });

  it('answers lone surrogates anywhere in a frame with bad_request, and accepts real pairs', async () => {
    await using srv = await startTestServer();
    const client = await srv.user('surrogates');
    await client.join('general');
    await expectBadRequests(client, [
      '{"type":"send","room":"general","id":"s1","text":"hi \\ud800"}',
      '{"type":"send","room":"general","id":"s2","text":"\\udc00\\ud800"}',
      '{"type":"join","room":"gen\\udfff"}',
      '{"type":"ping","t":1,"ignored":{"deep":["\\ud83d"]}}',
    ]);
    const fresh = await srv.connect();
    fresh.sendRaw('{"type":"hello","v":1,"name":"al\\udfffice"}');
    await fresh.nextError(ERROR_CODES.BAD_REQUEST);
    fresh.sendRaw('{"type":"hello","v":1,"name":"x","token":"\\ud800"}');
    await fresh.nextError(ERROR_CODES.BAD_REQUEST);
    client.sendRaw('{"type":"send","room":"general","id":"pair","text":"\\ud83d\\ude00"}');
    expect(await client.next('ack')).toMatchObject({ id: 'pair' });
    expect((await client.next('message')).text).toBe('😀');
  });

  it('survives a burst of hostile frames from many connections, closing the noisy ones with 1008', async () => {
    await using srv = await startTestServer();
    const hostile = [
      arrays(10_000),
      '{"type":"ping","t":1e309}',
      '{"__proto__":{"type":"ping"}}',
      '{"type":"send","room":"general","id":"x","text":"\\ud800"}',
      'null',
      '{"type":"constructor"}',
      '{"type":"__proto__"}',
      '{"type":"toString"}',
      '{"type":"hasOwnProperty"}',
    ];
    const clients = await Promise.all(Array.from({ length: 10 }, (_, i) => srv.user(`hostile${i}`)));
    for (const client of clients) {
      for (let round = 0; round < 3; round++) for (const frame of hostile) client.sendRaw(frame);
    }
    for (const client of clients) {
      const errors = await client.collect(LIMITS.MAX_BAD_REQUESTS_PER_WINDOW, isError, 5000);
      expect(errors.every((e) => e.code === ERROR_CODES.BAD_REQUEST)).toBe(true);
      expect((await client.closed(5000)).code).toBe(CLOSE_CODES.POLICY_VIOLATION);
    }
    const calm = await srv.user('calm');
    await calm.roundTrip();
  });
});

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
