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
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

import type { Message, ServerMessage } from '@tether/protocol';
import { expect, it, onTestFinished } from 'vitest';

import { freePort, spawnServer, type ChildServer } from '../helpers/child.js';
import { TestClient } from '../helpers/client.js';
import { makeTempDir } from '../helpers/server.js';

const KILLS = Number(process.env.CRASH_KILLS ?? 20);
const SEED = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const ROOMS = ['alpha', 'beta'] as const;
const SENDERS = 4;
const WINDOW = 6;

/** mulberry32: a small seeded PRNG, so a failing run can be repeated. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface Sender {
  name: string;
  token: string | undefined;
  userId: string | undefined;
  client: TestClient | undefined;
  next: number;
  /** id → room and text, for every id ever sent. */
  sent: Map<string, { room: string; text: string }>;
  /** id → `${room}:${seq}` of its first ack. */
  acked: Map<string, string>;
  mismatches: string[];
}

function unacked(s: Sender): string[] {
  return [...s.sent.keys()].filter((id) => !s.acked.has(id));
}

function recordAck(s: Sender, id: string, room: string, seq: number): void {
  const at = `${room}:${seq}`;
  const first = s.acked.get(id);
  if (first === undefined) s.acked.set(id, at);
  else if (first !== at) s.mismatches.push(`${id}: ${first} then ${at}`);
}

/** Keeps WINDOW sends in flight, alternating rooms, until the connection dies (the kill). */
async function pump(s: Sender, stop: () => boolean): Promise<void> {
  const client = s.client!;
  const inflight = new Set<string>();
  for (;;) {
    while (!stop() && inflight.size < WINDOW && client.isOpen()) {
      const id = `${s.name}-${s.next}`;
      const room = ROOMS[s.next % ROOMS.length]!;
      s.next += 1;
      const text = `${s.name} says ${id}`;
      s.sent.set(id, { room, text });
      inflight.add(id);
      client.send({ type: 'send', room, id, text });
    }
    if (inflight.size === 0 || !client.isOpen()) return;
    let frame: ServerMessage;
    try {
      frame = await client.nextWhere(
        (f) => (f.type === 'ack' && inflight.has(f.id)) || f.type === 'error',
        5000,
        `an ack for ${s.name}`,
      );
    } catch (error) {
      if (!client.isOpen()) return;
      throw error;
    }
    if (frame.type !== 'ack') throw new Error(`${s.name} got ${JSON.stringify(frame)}`);
    inflight.delete(frame.id);
    recordAck(s, frame.id, frame.room, frame.seq);
    client.discard('message');
  }
}

async function resume(s: Sender, wsUrl: string): Promise<void> {
  const client = await TestClient.connect(wsUrl);
  onTestFinished(() => client.terminate());
  s.client = client;
  await client.hello(s.name, s.token);
  s.token = client.token;
  s.userId = client.user!.id;
  for (const room of ROOMS) await client.join(room);
  const pending = unacked(s);
  for (const id of pending) client.send({ type: 'send', id, ...s.sent.get(id)! });
  const waiting = new Set(pending);
  while (waiting.size > 0) {
    const frame = await client.nextWhere(
      (f) => (f.type === 'ack' && waiting.has(f.id)) || f.type === 'error',
      5000,
      `resent acks for ${s.name}`,
    );
    if (frame.type !== 'ack') throw new Error(`${s.name} resend got ${JSON.stringify(frame)}`);
    waiting.delete(frame.id);
    recordAck(s, frame.id, frame.room, frame.seq);
  }
  client.discard('message');
}

let readers = 0;
async function readRoom(wsUrl: string, room: string): Promise<Message[]> {
  const reader = await TestClient.connect(wsUrl);
  onTestFinished(() => reader.terminate());
  await reader.hello(`crash-reader-${++readers}`);
  const joined = await reader.join(room);
  const messages = [...joined.messages];
  for (let hasMore = joined.hasMore; hasMore;) {
    reader.send({ type: 'history', room, before: messages[0]!.seq, limit: 100 });
    const page = await reader.next('history', 5000);
    messages.unshift(...page.messages);
    hasMore = page.hasMore;
  }
  reader.terminate();
  return messages;
}

/** Everything acked is stored once with its acked seq; seqs run 1..N per room. */
async function verify(wsUrl: string, senders: readonly Sender[], when: string): Promise<number> {
  const stored = new Map<string, string>();
  const problems: string[] = [];
  let total = 0;
  for (const room of ROOMS) {
    const messages = await readRoom(wsUrl, room);
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
    for (const [id, at] of s.acked) {
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
    const dir = await makeTempDir();
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const port = await freePort();
    const wsUrl = `ws://127.0.0.1:${port}/ws`;
    const env = {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_PATH: join(dir, 'chat.db'),
      LOG_LEVEL: 'info',
      RATE_LIMIT_PER_SEC: '100000',
      RATE_LIMIT_BURST: '100000',
    };
    const boot = async (): Promise<ChildServer> => {
      const child = spawnServer(env);
      expect(await child.listening()).toBe(port);
      return child;
    };
    const senders: Sender[] = Array.from({ length: SENDERS }, (_, i) => ({
      name: `sender${i}`,
      token: undefined,
      userId: undefined,
      client: undefined,
      next: 0,
      sent: new Map(),
      acked: new Map(),
      mismatches: [],
    }));

    let child = await boot();
    await Promise.all(senders.map((s) => resume(s, wsUrl)));
    const delays: number[] = [];
    let inFlightAtKills = 0;
    let storedUnacked = 0;

    for (let kill = 0; kill < KILLS; kill++) {
      // A random moment: 20–400 ms into the cycle's traffic.
      const delay = Math.round(20 + random() * 380);
      delays.push(delay);
      let killed = false;
      const pumps = Promise.all(senders.map((s) => pump(s, () => killed)));
      await new Promise((resolve) => setTimeout(resolve, delay));
      child.kill('SIGKILL');
      killed = true;
      expect((await child.exited(5000)).signal).toBe('SIGKILL');
      await pumps;
      const inFlight = senders.reduce((n, s) => n + unacked(s).length, 0);
      inFlightAtKills += inFlight;
      const ackedBefore = senders.reduce((n, s) => n + s.acked.size, 0);

      child = await boot();
      const total = await verify(wsUrl, senders, `after kill ${kill + 1} (seed ${SEED})`);
      storedUnacked += total - ackedBefore;
      await Promise.all(senders.map((s) => resume(s, wsUrl)));
    }

    const total = await verify(wsUrl, senders, `at the end (seed ${SEED})`);
    child.kill('SIGTERM');
    expect((await child.exited(12_000)).code).toBe(0);
    const acked = senders.reduce((n, s) => n + s.acked.size, 0);
    console.log(
      `crash: ${KILLS} SIGKILLs (seed ${SEED}; kill after ${Math.min(...delays)}–${Math.max(...delays)} ms of traffic), ` +
        `${acked} acked, ${total} stored, ${inFlightAtKills} in flight at the kills (${storedUnacked} of them stored before the ack), ` +
        `lost 0, duplicated 0, ${Date.now() - started} ms`,
    );
    expect(senders.flatMap((s) => s.mismatches)).toEqual([]);
    expect(senders.every((s) => unacked(s).length === 0)).toBe(true);
    expect(total).toBe(acked);
  },
);
