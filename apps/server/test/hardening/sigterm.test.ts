/**
 * Hardening › SIGTERM under load, and what the clients do next.
 *
 * 40 clients that follow PROTOCOL.md › Reconnect stream messages into one
 * room; the server (a child process) gets SIGTERM. Every client must see
 * 1001, the process must exit 0 within 10 s with every acked message on disk,
 * and when the server is back on the same port the clients must come back
 * spread out by their full-jitter backoff, not all in the same instant.
 */
import { setTimeout as sleep } from 'node:timers/promises';

import { CLOSE_CODES, RECONNECT } from '@tether/protocol';
import { expect, it, onTestFinished } from 'vitest';

import { launchServer, NO_RATE_LIMIT } from '../helpers/child.js';
import { readRoom } from '../helpers/client.js';
import { percentile, waitFor } from '../helpers/metrics.js';
import { ReconnectingClient } from '../helpers/reconnecting.js';

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
    const pump = setInterval(() => {
      for (const c of clients) while (c.isOpen() && c.unacked < WINDOW) c.send('general', `from ${c.name}`);
    }, 2);
    onTestFinished(() => clearInterval(pump));
    const acked = () => clients.reduce((n, c) => n + c.acked.size, 0);
    await waitFor(() => (acked() >= 1000 ? true : undefined), 15_000, '1,000 acks before SIGTERM');

    const signalled = Date.now();
    const exit = await server.kill('SIGTERM');
    const exitMs = Date.now() - signalled;
    // No new messages from here on: only the unacked ones are resent after the restart.
    clearInterval(pump);
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
      for (const [id, seq] of c.acked) if (byId.get(id)?.seq !== seq) lost.push(`${id}@${seq}`);
    }
    expect(lost).toEqual([]);
    expect(byId.size).toBe(stored.length);
    expect(stored.map((m) => m.seq)).toEqual(stored.map((_, i) => i + 1));
    expect(clients.flatMap((c) => c.problems)).toEqual([]);

    // Backoff: every attempt waited within its full-jitter bound…
    for (const c of clients) {
      for (const a of c.attempts.slice(1)) {
        expect(a.delayMs).toBeLessThanOrEqual(
          Math.min(RECONNECT.MAX_DELAY_MS, RECONNECT.BASE_DELAY_MS * 2 ** (a.n - 1)),
        );
      }
    }
    // …the first attempts after the 1001 were spread over [0, 500 ms]…
    const firstAttempts = clients.map((c) => c.attempts.find((a) => a.at > signalled && a.n === 1)!.delayMs);
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
    expect(Math.max(...firstAttempts)).toBeLessThanOrEqual(RECONNECT.BASE_DELAY_MS);
    expect(Math.max(...firstAttempts) - Math.min(...firstAttempts)).toBeGreaterThan(200);
    expect(back.at(-1)! - back[0]!).toBeGreaterThan(500);
    expect(busiest100ms).toBeLessThanOrEqual(CLIENTS / 2);

    expect((await server.kill('SIGTERM')).code).toBe(0);
    await sleep(0);
  },
);
