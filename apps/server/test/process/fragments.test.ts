/**
 * docs/protocol.md › Transport › Frames, and the heartbeat, against the server as
 * a child process: a flood of tiny fragments of a message that never ends is
 * closed with 1008 while the server's RSS (read from /proc) stays within
 * bounds, and a message still arriving after heartbeat interval + timeout is
 * a dead link even while the client answers pings. The timing of these tests
 * must not depend on how busy this test process is.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { CLOSE_CODES, ERROR_CODES } from '@tether/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { MAX_FRAGMENTS_PER_MESSAGE } from '../../src/ws/gateway.js';
import { spawnServer, type ChildServer } from '../helpers/child.js';
import { rssBytes, sample, scrape } from '../helpers/metrics.js';
import { OPCODE, RawWebSocket, clientFrame } from '../helpers/raw.js';
import { makeTempDir } from '../helpers/server.js';

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

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
