/** PROTOCOL.md › HTTP (last paragraph) and close 1001: graceful shutdown. */
import { rm } from 'node:fs/promises';

import { CLOSE_CODES } from '@tether/protocol';
import { describe, expect, it, onTestFinished } from 'vitest';

import { spawnServer } from './helpers/child.js';
import { TestClient, UpgradeRefused } from './helpers/client.js';
import { makeTempDir, startTestServer, storeEnv } from './helpers/server.js';

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
    const store = storeEnv(dir);
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
  it('keeps every message it acked while clients were sending through SIGTERM', async () => {
    const dir = await makeTempDir();
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const store = storeEnv(dir);
    const child = spawnServer({
      PORT: '0',
      HOST: '127.0.0.1',
      ...store,
      LOG_LEVEL: 'info',
      RATE_LIMIT_BURST: '100000',
      RATE_LIMIT_PER_SEC: '100000',
    });
    const port = await child.listening();
    const wsUrl = `ws://127.0.0.1:${port}/ws`;
    const senders = await Promise.all(
      ['s1', 's2', 's3'].map(async (name) => {
        const client = await TestClient.connect(wsUrl);
        onTestFinished(() => client.terminate());
        await client.hello(name);
        await client.join('general');
        return client;
      }),
    );
    const acked = new Set<string>();
    let sent = 0;
    // Each sender keeps 10 sends in flight until its connection closes.
    const pumps = senders.map(async (client) => {
      const inflight = new Set<string>();
      for (let n = 0; n < 100_000; n++) {
        while (inflight.size < 10 && client.isOpen()) {
          const id = `${client.user!.name}_${sent++}`;
          inflight.add(id);
          client.send({ type: 'send', room: 'general', id, text: id });
        }
        try {
          const ack = await client.nextWhere((f) => f.type === 'ack' && inflight.has(f.id), 5000, 'ack');
          if (ack.type === 'ack') {
            inflight.delete(ack.id);
            acked.add(ack.id);
          }
          client.discard('message');
        } catch (error) {
          if (client.isOpen()) throw error;
          return client.closed();
        }
      }
      throw new Error('pump did not end');
    });
    const deadline = Date.now() + 10_000;
    while (acked.size < 200 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    child.kill('SIGTERM');
    const closes = await Promise.all(pumps);
    expect(closes.map((c) => c.code)).toEqual([1001, 1001, 1001]);
    expect(await child.exited(12_000)).toEqual({ code: 0, signal: null });

    await using srv = await startTestServer(store);
    const reader = await srv.user('reader');
    const joined = await reader.join('general');
    const stored = new Set(joined.messages.map((m) => m.id));
    let before = joined.messages[0]?.seq ?? 0;
    for (let page = 0; page < 100 && before > 1; page++) {
      reader.send({ type: 'history', room: 'general', before, limit: 100 });
      const history = await reader.next('history');
      for (const m of history.messages) stored.add(m.id);
      before = history.messages[0]?.seq ?? 0;
      if (!history.hasMore) break;
    }
    const lost = [...acked].filter((id) => !stored.has(id));
    console.log(
      `shutdown under load: sent ${sent}, acked ${acked.size}, stored ${stored.size}, lost ${lost.length}`,
    );
    expect(lost).toEqual([]);
    expect(stored.size).toBe(joined.seq);
  });
});
