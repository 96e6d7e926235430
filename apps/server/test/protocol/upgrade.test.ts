/**
 * docs/protocol.md › Transport › Endpoint and upgrade: a WebSocket opens on `/ws`
 * only, and a malformed or slow handshake gets its 4xx and costs nothing
 * else: the server serves the next client. Raw TCP sockets send what no
 * WebSocket library would. (Origin: origin.test.ts; the connection cap:
 * max-connections.test.ts.)
 */
import { request } from 'node:http';

import { describe, expect, it } from 'vitest';

import { upgradeStatus } from '../helpers/client.js';
import { waitFor } from '../helpers/metrics.js';
import { handshake, rawRequest, tcp } from '../helpers/raw.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** A client that can still say hello and chat: the server serves newcomers. */
async function newcomerIsServed(srv: TestServer, name: string): Promise<void> {
  const client = await srv.user(name);
  await client.roundTrip();
  client.terminate();
}

describe('upgrade path', () => {
  it('accepts a WebSocket on /ws', async () => {
    await using srv = await startTestServer();
    expect(await upgradeStatus(srv.wsUrl)).toBe(101);
  });

  it.each(['/', '/other', '/ws/', '/wsx', '/ws/x', '/api/ws', '/WS'])(
    'refuses an upgrade on %s with HTTP 404',
    async (path) => {
      await using srv = await startTestServer();
      expect(await upgradeStatus(`ws://127.0.0.1:${srv.server.port}${path}`)).toBe(404);
    },
  );

  it('ignores a query string on /ws', async () => {
    await using srv = await startTestServer();
    const client = await srv.connect({ path: '/ws?token=abc&x=1' });
    const welcome = await client.hello('query');
    expect(welcome.user.name).toBe('query');
  });
});

describe('malformed handshakes', () => {
  const line = (i: number) => i.toString(36).padStart(3, '0');
  const cases: [string, (port: number) => string | Buffer, number[]][] = [
    [
      '2,000 headers (over the 16 KB header limit)',
      (port) =>
        handshake(
          port,
          Array.from({ length: 2000 }, (_, i) => `X-Filler-${i}: ${'v'.repeat(16)}`),
        ),
      [431],
    ],
    [
      '2,000 short headers (within 16 KB)',
      (port) =>
        handshake(
          port,
          Array.from({ length: 2000 }, (_, i) => `x${line(i)}:`),
        ),
      [431],
    ],
    [
      'a 32 KB Sec-WebSocket-Protocol',
      (port) => handshake(port, [`Sec-WebSocket-Protocol: ${'chat,'.repeat(6553)}chat`]),
      [431],
    ],
    [
      'an 8 KB Sec-WebSocket-Protocol of junk',
      (port) => handshake(port, [`Sec-WebSocket-Protocol: ${'@'.repeat(8192)}`]),
      [400],
    ],
    [
      'a bad Sec-WebSocket-Key',
      (port) => handshake(port).replace(/Sec-WebSocket-Key: .*\r\n/, 'Sec-WebSocket-Key: not-a-key\r\n'),
      [400],
    ],
    ['no Sec-WebSocket-Key', (port) => handshake(port).replace(/Sec-WebSocket-Key: .*\r\n/, ''), [400]],
    [
      'Sec-WebSocket-Version: 8',
      (port) => handshake(port).replace('Sec-WebSocket-Version: 13', 'Sec-WebSocket-Version: 8'),
      [426],
    ],
    [
      'Sec-WebSocket-Version: 13, 8',
      (port) => handshake(port).replace('Sec-WebSocket-Version: 13', 'Sec-WebSocket-Version: 13, 8'),
      [426],
    ],
    ['POST instead of GET', (port) => handshake(port).replace('GET /ws', 'POST /ws'), [405]],
    ['a 12 KB path', (port) => handshake(port).replace('GET /ws', `GET /ws?${'a'.repeat(12_000)}`), [101]],
    ['a 64 KB path', (port) => handshake(port).replace('GET /ws', `GET /${'a'.repeat(65_536)}`), [431]],
    ['a NUL in a header value', (port) => handshake(port, ['X-Bad: a\u0000b']), [400]],
    ['a request line of garbage', () => 'GARBAGE\r\n\r\n', [400]],
    [
      'binary junk',
      () => Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0xff, 0xfe, 0x0d, 0x0a, 0x0d, 0x0a]),
      [400],
    ],
  ];

  it.each(cases)(
    'answers %s with its 4xx; the server then serves a newcomer',
    async (_what, build, expected) => {
      await using srv = await startTestServer();
      const port = srv.server.port;
      const res = await rawRequest(port, build(port));
      expect(expected).toContain(res.status);
      if (res.status !== 101) {
        expect(res.headers['sec-websocket-accept']).toBeUndefined();
        expect(res.closedByServer).toBe(true);
      }
      expect((await fetch(`${srv.url}/healthz`)).status).toBe(200);
      await newcomerIsServed(srv, 'after');
    },
  );

  it('refuses a pre-standard WebSocket version with 426 and names version 13', async () => {
    await using srv = await startTestServer();
    const answer = await new Promise<{ status: number; version: string | undefined }>((resolve, reject) => {
      const req = request(`${srv.url}/ws`, {
        headers: {
          Connection: 'Upgrade',
          Upgrade: 'websocket',
          'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
          'Sec-WebSocket-Version': '8',
        },
      });
      req.on('response', (res) => {
        resolve({ status: res.statusCode ?? 0, version: res.headers['sec-websocket-version'] });
        res.resume();
      });
      req.on('upgrade', () => reject(new Error('upgraded with version 8')));
      req.on('error', reject);
      req.end();
    });
    expect(answer).toEqual({ status: 426, version: '13' });
  });

  it('survives all of them at once, then serves a newcomer', async () => {
    await using srv = await startTestServer();
    const port = srv.server.port;
    const answers = await Promise.all(
      cases.flatMap(([, build]) => Array.from({ length: 5 }, () => rawRequest(port, build(port)))),
    );
    const refused = answers.filter((a) => a.status !== 101);
    expect(refused.every((a) => a.status >= 400 && a.status < 500)).toBe(true);
    await newcomerIsServed(srv, 'after-all');
  });
});

describe('slowloris', () => {
  it(
    'times out 200 half-sent handshakes and serves a new client meanwhile',
    { timeout: 20_000 },
    async () => {
      // Long enough to open 200 sockets and serve a newcomer before any of
      // them times out, even on a loaded machine.
      const HEADERS_TIMEOUT_MS = 2000;
      await using srv = await startTestServer(
        { MAX_CONNECTIONS: '5' },
        { headersTimeoutMs: HEADERS_TIMEOUT_MS },
      );
      const port = srv.server.port;
      // Each socket's time from its own connect to its close.
      const closedAfter: number[] = [];
      const answers: string[] = [];
      const sockets = await Promise.all(
        Array.from({ length: 200 }, async () => {
          const openedAt = Date.now();
          const socket = await tcp(port, 10_000);
          socket.on('data', (chunk: Buffer) => answers.push(chunk.toString('latin1').split('\r\n', 1)[0]!));
          socket.on('error', () => undefined);
          socket.on('close', () => closedAfter.push(Date.now() - openedAt));
          socket.write(`GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n`);
          return socket;
        }),
      );
      // Trickle a header line now and then, as slowloris does, to look alive.
      const trickle = setInterval(() => {
        for (const socket of sockets) if (!socket.destroyed) socket.write('X-Still-There: 1\r\n');
      }, 250);
      try {
        // While all 200 hang, a new client gets in and is served (they hold no
        // WebSocket slot): served before the first of them timed out.
        expect(closedAfter.length).toBe(0);
        await newcomerIsServed(srv, 'during');
        expect(closedAfter.length).toBe(0);

        // headersTimeout plus at most two checks (one a second) and some slack.
        const bound = HEADERS_TIMEOUT_MS + 2000 + 1000;
        await waitFor(() => (closedAfter.length === 200 ? true : undefined), bound + 1000, 'all 200 closed');
        expect(Math.max(...closedAfter)).toBeLessThanOrEqual(bound);
        expect(Math.min(...closedAfter)).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 50);
        expect(answers.every((a) => a.startsWith('HTTP/1.1 408'))).toBe(true);
      } finally {
        clearInterval(trickle);
        for (const socket of sockets) socket.destroy();
      }
      await newcomerIsServed(srv, 'after');
    },
  );
});
