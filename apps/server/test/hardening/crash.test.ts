/**
 * Hardening › SIGKILL at 20 random moments during a busy run.
 *
 * Four clients stream messages into two rooms (each keeps a window of sends
 * in flight) while the server, a child process, is killed with SIGKILL at a
 * random moment of each cycle. After every restart, before anyone resends,
 * the whole history is read back: every message acked so far must be there
 * exactly once, with the seq it was acked with, and each room's seqs must run
 * 1..N without a gap. Then the clients resume as PROTOCOL.md › Reconnect says
 * (hello with token, join, resend every unacked id) and the next cycle runs.
 *
 * CRASH_KILLS (default 20) and CRASH_SEED (default: random, printed) make a
 * failing run repeatable.
 */
import { expect, it } from 'vitest';

import { launchServer, NO_RATE_LIMIT } from '../helpers/child.js';
import { readRoom } from '../helpers/client.js';
import { prng } from '../helpers/random.js';
import { ackedCount, makeSenders, unackedCount, type AckTrackingSender } from '../helpers/sender.js';

const KILLS = Number(process.env.CRASH_KILLS ?? 20);
const SEED = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const ROOMS = ['alpha', 'beta'] as const;
const SENDERS = 4;
const WINDOW = 6;

/** Everything acked is stored once with its acked seq; seqs run 1..N per room. */
async function verify(wsUrl: string, senders: readonly AckTrackingSender[], when: string): Promise<number> {
  const stored = new Map<string, string>();
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
      stored.set(key, `${m.room}:${m.seq}`);
    }
  }
  for (const s of senders) {
    for (const [id, { room, seq }] of s.acked) {
      const at = `${room}:${seq}`;
      const found = stored.get(`${s.userId}/${id}`);
      if (found !== at) problems.push(`${id} acked at ${at}, stored at ${found ?? 'nowhere'}`);
    }
  }
  expect(problems, when).toEqual([]);
  return total;
}

it(
  `loses no acked message, duplicates none and leaves no gap across ${KILLS} SIGKILLs`,
  { timeout: 120_000 },
  async () => {
    const random = prng(SEED);
    const started = Date.now();
    const server = await launchServer(NO_RATE_LIMIT);
    const { wsUrl } = server;
    const senders = makeSenders(SENDERS, ROOMS, WINDOW);
    await Promise.all(senders.map((s) => s.resume(wsUrl)));
    const delays: number[] = [];
    let inFlightAtKills = 0;
    let storedUnacked = 0;

    for (let kill = 0; kill < KILLS; kill++) {
      // A random moment: 20–400 ms into the cycle's traffic.
      const delay = Math.round(20 + random() * 380);
      delays.push(delay);
      let killed = false;
      const pumps = Promise.all(senders.map((s) => s.pump(() => killed)));
      await new Promise((resolve) => setTimeout(resolve, delay));
      killed = true;
      expect((await server.kill('SIGKILL')).signal).toBe('SIGKILL');
      await pumps;
      inFlightAtKills += unackedCount(senders);
      const ackedBefore = ackedCount(senders);

      await server.restart();
      const total = await verify(wsUrl, senders, `after kill ${kill + 1} (seed ${SEED})`);
      storedUnacked += total - ackedBefore;
      await Promise.all(senders.map((s) => s.resume(wsUrl)));
    }

    const total = await verify(wsUrl, senders, `at the end (seed ${SEED})`);
    expect((await server.kill('SIGTERM')).code).toBe(0);
    const acked = ackedCount(senders);
    console.log(
      `crash: ${KILLS} SIGKILLs (seed ${SEED}; kill after ${Math.min(...delays)}–${Math.max(...delays)} ms of traffic), ` +
        `${acked} acked, ${total} stored, ${inFlightAtKills} in flight at the kills (${storedUnacked} of them stored before the ack), ` +
        `lost 0, duplicated 0, ${Date.now() - started} ms`,
    );
    expect(senders.flatMap((s) => s.mismatches)).toEqual([]);
    expect(senders.every((s) => s.unacked().length === 0)).toBe(true);
    expect(total).toBe(acked);
  },
);
