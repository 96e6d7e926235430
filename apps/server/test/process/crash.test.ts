/**
 * docs/protocol.md › Messages: "A message that was acked is never lost: not by a
 * reconnect, not by the server being killed", and the idempotent resend that
 * makes that work without duplicates.
 *
 * Four clients stream messages into two rooms (each keeps a window of sends
 * in flight) while the server, a child process, is killed with SIGKILL at a
 * random moment of each cycle. After every restart, before anyone resends,
 * the whole history is read back: every message acked so far must be there
 * exactly once, in the room, at the seq and with the text it was acked with,
 * and each room's seqs must run 1..N without a gap. Then the clients resume
 * as docs/protocol.md › Reconnect says (hello with token, join with since and
 * epoch, resend every unacked id) and the next cycle sends new messages.
 *
 * CRASH_KILLS (default 20) and CRASH_SEED (default: random, printed) make a
 * failing run repeatable.
 */
import { setTimeout as sleep } from 'node:timers/promises';

import { expect, it, onTestFinished } from 'vitest';

import { launchServer, NO_RATE_LIMIT } from '../helpers/child.js';
import { readRoom } from '../helpers/client.js';
import { waitFor } from '../helpers/metrics.js';
import { prng } from '../helpers/random.js';
import { ReconnectingClient } from '../helpers/reconnecting.js';

const KILLS = Number(process.env.CRASH_KILLS ?? 20);
const SEED = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const ROOMS = ['alpha', 'beta'] as const;
const CLIENTS = 4;
const WINDOW = 6;

/** Everything acked is stored once with its acked room, seq and text; seqs run 1..N per room. */
async function verify(wsUrl: string, clients: readonly ReconnectingClient[], when: string): Promise<number> {
  const stored = new Map<string, { at: string; text: string }>();
  const problems: string[] = [];
  let total = 0;
  for (const room of ROOMS) {
    const { messages } = await readRoom(wsUrl, room);
    total += messages.length;
    const seqs = messages.map((m) => m.seq);
    if (seqs.some((seq, i) => seq !== i + 1)) problems.push(`${room}: seqs are not 1..${seqs.length}`);
    for (const m of messages) {
      const key = `${m.from.id}/${m.id}`;
      if (stored.has(key)) problems.push(`${key} stored twice`);
      stored.set(key, { at: `${m.room}:${m.seq}`, text: m.text });
    }
  }
  for (const c of clients) {
    for (const [id, { room, seq }] of c.acked) {
      const at = `${room}:${seq}`;
      const found = stored.get(`${c.userId}/${id}`);
      if (found?.at !== at) problems.push(`${id} acked at ${at}, stored at ${found?.at ?? 'nowhere'}`);
      else if (found.text !== c.sent.get(id)?.text) problems.push(`${id}: stored text differs from sent`);
    }
  }
  expect(problems, when).toEqual([]);
  return total;
}

const sum = (clients: readonly ReconnectingClient[], of: (c: ReconnectingClient) => number) =>
  clients.reduce((n, c) => n + of(c), 0);

it(
  `loses no acked message, duplicates none and leaves no gap across ${KILLS} SIGKILLs`,
  { timeout: 120_000 },
  async () => {
    const random = prng(SEED);
    const started = Date.now();
    // Redis trims a room to HISTORY_MAX (10,000 by default) on purpose; 20
    // cycles store more than that, and every acked message is read back.
    const server = await launchServer({ ...NO_RATE_LIMIT, HISTORY_MAX: '10000000' });
    const { wsUrl } = server;
    // They come back only when told: what the server kept is read before any resend.
    const clients = Array.from(
      { length: CLIENTS },
      (_, i) => new ReconnectingClient(wsUrl, `sender${i}`, { reconnect: 'manual' }),
    );
    onTestFinished(() => {
      for (const c of clients) c.stop();
    });
    for (const c of clients) for (const room of ROOMS) c.join(room);
    /** Connects everyone and waits until each has joined and has every resend acked. */
    const resume = async () => {
      for (const c of clients) c.start();
      await Promise.all(clients.map((c) => c.ready(10_000)));
      await waitFor(
        () => (clients.every((c) => c.unacked === 0) ? true : undefined),
        5000,
        'every resend acked',
      );
    };
    await resume();
    const delays: number[] = [];
    let inFlightAtKills = 0;
    let storedUnacked = 0;

    for (let kill = 0; kill < KILLS; kill++) {
      // A random moment: 20–400 ms into the cycle's traffic.
      const delay = Math.round(20 + random() * 380);
      delays.push(delay);
      for (const c of clients) c.keepSending(WINDOW);
      await sleep(delay);
      for (const c of clients) c.keepSending(0);
      expect((await server.kill('SIGKILL')).signal).toBe('SIGKILL');
      await waitFor(
        () => (clients.every((c) => !c.isOpen()) ? true : undefined),
        5000,
        'every client to see the kill',
      );
      inFlightAtKills += sum(clients, (c) => c.unacked);
      const ackedBefore = sum(clients, (c) => c.acked.size);

      await server.restart();
      const total = await verify(wsUrl, clients, `after kill ${kill + 1} (seed ${SEED})`);
      storedUnacked += total - ackedBefore;
      await resume();
    }

    const total = await verify(wsUrl, clients, `at the end (seed ${SEED})`);
    expect((await server.kill('SIGTERM')).code).toBe(0);
    const acked = sum(clients, (c) => c.acked.size);
    console.log(
      `crash: ${KILLS} SIGKILLs (seed ${SEED}; kill after ${Math.min(...delays)}–${Math.max(...delays)} ms of traffic), ` +
        `${acked} acked, ${total} stored, ${inFlightAtKills} in flight at the kills (${storedUnacked} of them stored before the ack), ` +
        `lost 0, duplicated 0, ${Date.now() - started} ms`,
    );
    expect(clients.flatMap((c) => c.problems)).toEqual([]);
    expect(clients.every((c) => c.unacked === 0)).toBe(true);
    expect(total).toBe(acked);
    // The kills hit real traffic: at least 30 acks a cycle on average (runs
    // ack about a thousand a cycle).
    expect(acked).toBeGreaterThanOrEqual(30 * KILLS);
  },
);
