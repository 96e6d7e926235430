/**
 * docs/protocol.md › HTTP routes and shutdown, close 1001: graceful shutdown, of
 * the server in this process (`close()`) and of the server as a child process
 * getting SIGTERM, alone and under load. Under load, 40 clients that follow
 * docs/protocol.md › Reconnect stream messages into one room: every client
 * must see 1001 with the restart hint, the process must exit 0 within 10 s
 * with every acked message on disk, and when the server is back on the same
 * port the clients must come back at the hint's pace, within about a second
 * of it being ready, spread out rather than all in the same instant.
 */
import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

import { CLOSE_CODES, parseRestartHint } from '@tether/protocol';
import { describe, expect, it, onTestFinished } from 'vitest';

import { launchServer, NO_RATE_LIMIT, spawnServer } from '../helpers/child.js';
import { TestClient, UpgradeRefused, readRoom } from '../helpers/client.js';
import { percentile, waitFor } from '../helpers/metrics.js';
import { ReconnectingClient } from '../helpers/reconnecting.js';
import { makeTempDir, startTestServer, storeEnv } from '../helpers/server.js';

describe('graceful shutdown (in process)', () => {
  it('closes every WebSocket with 1001 on close()', async () => {
    await using srv = await startTestServer();
    const alice = await srv.user('alice');
    const bob = await srv.user('bob');
    const anonymous = await srv.connect();
    await alice.join('general');
    await srv.stop();
    for (const client of [alice, bob, anonymous]) {
      expect((await client.closed()).code).toBe(CLOSE_CODES.GOING_AWAY);
    }
  });

  it('keeps every acked message when restarted on the same database', async () => {
    await using srv = await startTestServer({ RATE_LIMIT_BURST: '1000', RATE_LIMIT_PER_SEC: '1000' });
    const alice = await srv.user('alice');
    await alice.join('general');
    const acks = await alice.fill('general', 100);
    await srv.restart();
    const reader = await srv.user('reader');
    await reader.join('general');
    reader.send({ type: 'history', room: 'general', limit: 100 });
    const page = await reader.next('history');
    expect(page.messages.map((m) => m.id)).toEqual(acks.map((a) => a.id));
  });
});

describe('graceful shutdown (process)', () => {
  it('on SIGTERM closes clients with 1001, refuses new work, exits 0 within 10 s, keeps acked messages', async () => {
    const dir = await makeTempDir();
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const store = await storeEnv(dir);
    const child = spawnServer({
      PORT: '0',
      HOST: '127.0.0.1',
      ...store,
      LOG_LEVEL: 'info',
      RATE_LIMIT_BURST: '1000',
      RATE_LIMIT_PER_SEC: '1000',
    });
    const port = await child.listening();
    const wsUrl = `ws://127.0.0.1:${port}/ws`;
    const httpUrl = `http://127.0.0.1:${port}`;

    const alice = await TestClient.connect(wsUrl);
    const bob = await TestClient.connect(wsUrl);
    onTestFinished(() => {
      alice.terminate();
      bob.terminate();
    });
    await alice.hello('alice');
    await bob.hello('bob');
    await alice.join('general');
    await bob.join('general');
    const acks = [...(await alice.fill('general', 30)), ...(await bob.fill('general', 30))];
    expect((await fetch(`${httpUrl}/readyz`)).status).toBe(200);

    // Probe readiness while the server shuts down. Refused connections are
    // fine (the listener is gone); an answer after the 1001 closes must be 503.
    const answers: { status: number; afterClose: boolean }[] = [];
    const state = { clientsClosed: false, probing: true };
    const probe = (async () => {
      const deadline = Date.now() + 12_000;
      while (state.probing && Date.now() < deadline) {
        const afterClose = state.clientsClosed;
        try {
          const res = await fetch(`${httpUrl}/readyz`, { signal: AbortSignal.timeout(1000) });
          await res.body?.cancel();
          answers.push({ status: res.status, afterClose });
        } catch {
          // Connection refused or reset: not listening any more.
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();

    const signalled = Date.now();
    child.kill('SIGTERM');
    const [aliceClose, bobClose] = await Promise.all([alice.closed(10_000), bob.closed(10_000)]);
    state.clientsClosed = true;
    expect(aliceClose.code).toBe(CLOSE_CODES.GOING_AWAY);
    expect(bobClose.code).toBe(CLOSE_CODES.GOING_AWAY);
    // The reason is the restart hint: come back soon, spread over a second.
    expect(parseRestartHint(aliceClose.reason)).toEqual({ restart: true, retryInMs: 500, spreadMs: 1000 });
    expect(bobClose.reason).toBe(aliceClose.reason);

    // An upgrade now is refused: HTTP 503, or no listener at all.
    let upgrade: number | 'refused' = 'refused';
    try {
      const late = await TestClient.connect(wsUrl, { timeoutMs: 2000 });
      late.terminate();
      upgrade = 101;
    } catch (error) {
      if (error instanceof UpgradeRefused) upgrade = error.status;
    }
    expect([503, 'refused']).toContain(upgrade);

    const exit = await child.exited(12_000);
    state.probing = false;
    await probe;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalled).toBeLessThan(10_000);
    const late = answers.filter((a) => a.afterClose);
    expect(
      late.every((a) => a.status === 503),
      JSON.stringify(late),
    ).toBe(true);
    console.log(
      `shutdown: readyz answers during shutdown: ${JSON.stringify(answers.slice(-5))}; late upgrade: ${upgrade}`,
    );

    // Restarted on the same database, every acked message is there.
    await using srv = await startTestServer(store);
    const reader = await srv.user('alice', alice.token);
    const joined = await reader.join('general');
    expect(joined.seq).toBe(60);
    const ids = new Set(joined.messages.map((m) => m.id));
    reader.send({ type: 'history', room: 'general', before: joined.messages[0]!.seq, limit: 100 });
    for (const m of (await reader.next('history')).messages) ids.add(m.id);
    for (const ack of acks) expect(ids.has(ack.id), ack.id).toBe(true);
  });
});

describe('graceful shutdown under load (process)', () => {
  const CLIENTS = 40;
  const WINDOW = 4;

  it(
    'on SIGTERM under load: 1001 to every client, exit 0 within 10 s, every acked message on disk; clients return spread out',
    { timeout: 60_000 },
    async () => {
      const server = await launchServer(NO_RATE_LIMIT);
      const { wsUrl } = server;

      const clients = Array.from({ length: CLIENTS }, (_, i) => new ReconnectingClient(wsUrl, `client${i}`));
      onTestFinished(() => {
        for (const c of clients) c.stop();
      });
      for (const c of clients) {
        c.join('general');
        c.start();
      }
      await Promise.all(clients.map((c) => c.ready(10_000)));

      // Load: every client keeps WINDOW sends in flight while it is connected.
      for (const c of clients) c.keepSending(WINDOW);
      const acked = () => clients.reduce((n, c) => n + c.acked.size, 0);
      await waitFor(() => (acked() >= 1000 ? true : undefined), 15_000, '1,000 acks before SIGTERM');

      const signalled = Date.now();
      const exit = await server.kill('SIGTERM');
      const exitMs = Date.now() - signalled;
      // No new messages from here on: only the unacked ones are resent after the restart.
      for (const c of clients) c.keepSending(0);
      const ackedAtExit = acked();
      const inFlight = clients.reduce((n, c) => n + c.unacked, 0);
      expect(exit).toEqual({ code: 0, signal: null });
      expect(exitMs).toBeLessThan(10_000);
      for (const c of clients) expect(c.closes.at(-1), c.name).toBe(CLOSE_CODES.GOING_AWAY);

      // Back on the same port; the clients find it by themselves.
      await server.restart();
      const up = Date.now();
      await Promise.all(clients.map((c) => c.ready(20_000)));
      await waitFor(
        () => (clients.every((c) => c.unacked === 0) ? true : undefined),
        10_000,
        'every resend acked',
      );

      // Every acked message is stored exactly once, seqs 1..N.
      const { messages: stored } = await readRoom(wsUrl, 'general');
      const byId = new Map(stored.map((m) => [m.id, m]));
      const lost: string[] = [];
      for (const c of clients) {
        for (const [id, { room, seq }] of c.acked) {
          const m = byId.get(id);
          if (m?.room !== room || m.seq !== seq) lost.push(`${id}@${room}:${seq}`);
        }
      }
      expect(lost).toEqual([]);
      expect(byId.size).toBe(stored.length);
      expect(stored.map((m) => m.seq)).toEqual(stored.map((_, i) => i + 1));
      expect(clients.flatMap((c) => c.problems)).toEqual([]);

      // The hint's pace: every attempt after the 1001 waited retryInMs plus a
      // share of spreadMs (500 + [0, 1000) ms), never the backoff ladder…
      const afterSignal = clients.flatMap((c) => c.attempts.filter((a) => a.at > signalled));
      expect(afterSignal.every((a) => a.hinted && a.delayMs >= 500 && a.delayMs < 1500)).toBe(true);
      const firstAttempts = clients.map(
        (c) => c.attempts.find((a) => a.at > signalled && a.n === 1)!.delayMs,
      );
      // …and the clients came back over a stretch of time, not in one burst.
      const back = clients.map((c) => c.readyAt.at(-1)! - up).sort((a, b) => a - b);
      const busiest100ms = Math.max(...back.map((t) => back.filter((u) => u >= t && u < t + 100).length));
      const attemptsPerClient = clients.map((c) => c.attempts.filter((a) => a.at > signalled).length);
      console.log(
        `SIGTERM under load: exit ${exit.code} after ${exitMs} ms; acked ${ackedAtExit} before exit, ${inFlight} in flight; ` +
          `stored ${stored.length}, lost ${lost.length}. First retry delays: min ${Math.min(...firstAttempts).toFixed(0)} ms, ` +
          `p50 ${percentile(firstAttempts, 50).toFixed(0)} ms, max ${Math.max(...firstAttempts).toFixed(0)} ms. ` +
          `Back after restart: first ${back[0]} ms, p50 ${percentile(back, 50)} ms, last ${back.at(-1)} ms; ` +
          `busiest 100 ms: ${busiest100ms} of ${CLIENTS}; attempts per client: ${Math.min(...attemptsPerClient)}–${Math.max(...attemptsPerClient)}`,
      );
      // …spread out, and everyone back within 2 s of the server being ready.
      expect(Math.max(...firstAttempts) - Math.min(...firstAttempts)).toBeGreaterThan(200);
      expect(back.at(-1)! - back[0]!).toBeGreaterThan(300);
      expect(back.at(-1)!).toBeLessThan(2000);
      expect(busiest100ms).toBeLessThanOrEqual(CLIENTS / 2);

      expect((await server.kill('SIGTERM')).code).toBe(0);
      await sleep(0);
    },
  );
});
