/**
 * Hardening › upgrade: who may open a WebSocket, and what a malformed or slow
 * handshake costs. Raw TCP sockets send what no WebSocket library would.
 */
import { setTimeout as sleep } from 'node:timers/promises';

import { CLOSE_CODES } from '@tether/protocol';
import { describe, expect, it } from 'vitest';

import { isMessage, type TestClient } from '../helpers/client.js';
import { sample, scrape, waitFor } from '../helpers/metrics.js';
import { handshake, rawRequest, tcp } from '../helpers/raw.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** A client that can still say hello and chat: the server serves newcomers. */
async function newcomerIsServed(srv: TestServer, name: string): Promise<void> {
  const client = await srv.user(name);
  await client.roundTrip();
  client.terminate();
}

describe('Origin check before the handshake', () => {
  const ALLOWED = 'https://app.example.com';

  it('refuses foreign, null and look-alike origins with 403 and no handshake', async () => {
    await using srv = await startTestServer({ ALLOWED_ORIGINS: ALLOWED });
    const port = srv.server.port;
    const own = `127.0.0.1:${port}`;
    const origins = [
      'http://evil.test',
      'null',
      '',
      `http://${own}.evil.test`,
      `http://evil.test/${own}`,
      `http://evil.test/http://${own}`,
      `http://${own}@evil.test`,
      `http://evil.test?${own}`,
      `http://evil.test#${own}`,
      `http://127.0.0.1:${port}0`,
      `ws://${own}`,
      `file://${own}`,
      `${ALLOWED}.evil.test`,
      `https://evil.test/${ALLOWED}`,
      'https://app.example.com:444',
      'http://app.example.com',
      'https://app.example.com.',
    ];
    const answers: string[] = [];
    for (const origin of origins) {
      const res = await rawRequest(port, handshake(port, [`Origin: ${origin}`]));
      answers.push(`${JSON.stringify(origin)} → ${res.status}`);
      expect(res.headers['sec-websocket-accept'], origin).toBeUndefined();
      expect(res.closedByServer, origin).toBe(true);
    }
    expect(answers).toEqual(origins.map((origin) => `${JSON.stringify(origin)} → 403`));
    // Refused before the handshake: no WebSocket was ever counted.
    expect(sample(await scrape(srv.url), 'tether_connections')).toBe(0);
  });

  it('judges look-alikes of localhost:PORT against the Host the browser used', async () => {
    await using srv = await startTestServer();
    const port = srv.server.port;
    const asLocalhost = (origin: string) =>
      rawRequest(
        port,
        handshake(port, [`Origin: ${origin}`]).replace(`Host: 127.0.0.1:${port}`, `Host: localhost:${port}`),
      );
    for (const origin of [
      `http://localhost:${port}.evil.test`,
      `http://evil.test/localhost:${port}`,
      `http://localhost.evil.test:${port}`,
      `http://localhost:${port}@evil.test`,
    ]) {
      expect((await asLocalhost(origin)).status, origin).toBe(403);
    }
    expect((await asLocalhost(`http://localhost:${port}`)).status).toBe(101);
  });

  it('accepts the origins in ALLOWED_ORIGINS however the browser spells them, and its own', async () => {
    await using srv = await startTestServer({ ALLOWED_ORIGINS: `${ALLOWED},http://localhost:5173` });
    const port = srv.server.port;
    for (const origin of [
      ALLOWED,
      'https://app.example.com:443',
      'HTTPS://APP.EXAMPLE.COM',
      'http://localhost:5173',
      `http://127.0.0.1:${port}`,
    ]) {
      const res = await rawRequest(port, handshake(port, [`Origin: ${origin}`]));
      expect(res.status, origin).toBe(101);
      expect(res.headers['sec-websocket-accept'], origin).toBeDefined();
    }
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

describe('MAX_CONNECTIONS', () => {
  it('closes connection MAX_CONNECTIONS + 1 with 1013; the others keep chatting', async () => {
    const MAX = 20;
    await using srv = await startTestServer({
      MAX_CONNECTIONS: String(MAX),
      RATE_LIMIT_BURST: '1000',
      RATE_LIMIT_PER_SEC: '1000',
    });
    const members: TestClient[] = [];
    for (let i = 0; i < MAX; i++) {
      const client = await srv.user(`member${i}`);
      await client.join('general');
      members.push(client);
    }
    for (const client of members) client.clear();

    // One over the limit, then a few more at once: each is told to come back later.
    const extra = await srv.connect();
    expect((await extra.closed()).code).toBe(CLOSE_CODES.TRY_AGAIN_LATER);
    const more = await Promise.all(Array.from({ length: 5 }, () => srv.connect()));
    for (const client of more) expect((await client.closed()).code).toBe(CLOSE_CODES.TRY_AGAIN_LATER);

    // The admitted ones are unaffected: everyone's message reaches everyone, in seq order.
    await sleep(50);
    for (const [i, client] of members.entries()) {
      expect(client.isOpen(), `member${i}`).toBe(true);
      await client.say('general', `from member${i}`);
    }
    for (const client of members) {
      const messages = await client.collect(MAX, isMessage);
      expect(messages.map((m) => m.seq)).toEqual(Array.from({ length: MAX }, (_, i) => i + 1));
    }
    expect(sample(await scrape(srv.url), 'tether_connections')).toBe(MAX);
  });
});
