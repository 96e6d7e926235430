/**
 * PROTOCOL.md › Messages: "A message that was acked is never lost: not by a
 * reconnect, not by the server being killed", and the idempotent resend that
 * makes that work without duplicates.
 *
 * The server runs as a child process (main.ts) and is SIGKILLed twice while
 * five clients stream messages into one room. After each restart every client
 * does what PROTOCOL.md › Reconnect says: hello with its token, join, resend
 * every unacked send with its original id. At the end the whole history is read
 * back and checked against what was acked.
 */
import { rm } from 'node:fs/promises';

import type { Message, ServerMessage } from '@tether/protocol';
import { expect, it, onTestFinished } from 'vitest';

import { freePort, spawnServer, type ChildServer } from './helpers/child.js';
import { TestClient } from './helpers/client.js';
import { makeTempDir, storeEnv } from './helpers/server.js';

const ROOM = 'crash';
const SENDERS = 5;
const WINDOW = 8; // sends in flight per client
const KILL_AFTER_ACKS = [300, 300]; // acks within each cycle before SIGKILL
const TAIL = 40; // new sends per client after the last restart

interface Sender {
  name: string;
  userId: string | undefined;
  token: string | undefined;
  client: TestClient | undefined;
  next: number;
  /** Every id sent, with its text, in send order. */
  sent: Map<string, string>;
  /** Acked id → seq of its first ack. */
  acked: Map<string, number>;
  /** Acks whose seq differed from an earlier ack of the same id. */
  ackMismatches: string[];
}

let totalAcks = 0;
let readers = 0;

function unacked(sender: Sender): string[] {
  return [...sender.sent.keys()].filter((id) => !sender.acked.has(id));
}

function recordAck(sender: Sender, id: string, seq: number): void {
  const earlier = sender.acked.get(id);
  if (earlier === undefined) {
    sender.acked.set(id, seq);
    totalAcks += 1;
  } else if (earlier !== seq) {
    sender.ackMismatches.push(`${id}: ${earlier} then ${seq}`);
  }
}

/**
 * Keeps WINDOW sends in flight until `stop()` or `maxNew` new sends, then
 * waits for the outstanding acks. Returns quietly when the connection dies
 * (the kill); any error frame is a failure.
 */
async function pump(sender: Sender, maxNew: number, stop: () => boolean): Promise<void> {
  const client = sender.client!;
  const inflight = new Set<string>();
  let sentNew = 0;
  for (;;) {
    while (!stop() && sentNew < maxNew && inflight.size < WINDOW && client.isOpen()) {
      const id = `${sender.name}-${sender.next++}`;
      const text = `${sender.name} says ${id}`;
      sender.sent.set(id, text);
      inflight.add(id);
      client.send({ type: 'send', room: ROOM, id, text });
      sentNew += 1;
    }
    if (inflight.size === 0 || !client.isOpen()) return;
    let frame: ServerMessage;
    try {
      frame = await client.nextWhere(
        (f) => (f.type === 'ack' && inflight.has(f.id)) || f.type === 'error',
        5000,
        `an ack for ${sender.name}`,
      );
    } catch (error) {
      if (!client.isOpen()) return; // killed mid-stream
      throw error;
    }
    if (frame.type !== 'ack') throw new Error(`${sender.name} got ${JSON.stringify(frame)}`);
    inflight.delete(frame.id);
    recordAck(sender, frame.id, frame.seq);
    client.discard('message');
  }
}

/** Reconnects with the token, joins, resends every unacked id with its original text. */
async function resume(sender: Sender, wsUrl: string): Promise<void> {
  const client = await TestClient.connect(wsUrl);
  onTestFinished(() => client.terminate());
  sender.client = client;
  await client.hello(sender.name, sender.token);
  sender.token = client.token;
  sender.userId = client.user!.id;
  await client.join(ROOM);
  const pending = unacked(sender);
  for (const id of pending) client.send({ type: 'send', room: ROOM, id, text: sender.sent.get(id)! });
  const waiting = new Set(pending);
  while (waiting.size > 0) {
    const frame = await client.nextWhere(
      (f) => (f.type === 'ack' && waiting.has(f.id)) || f.type === 'error',
      5000,
      `resend acks for ${sender.name} (${waiting.size} left)`,
    );
    if (frame.type !== 'ack') throw new Error(`${sender.name} resend got ${JSON.stringify(frame)}`);
    waiting.delete(frame.id);
    recordAck(sender, frame.id, frame.seq);
  }
  client.discard('message');
}

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Reads the whole room: joined, then history pages backwards until hasMore is false. */
async function readAll(wsUrl: string): Promise<{ latest: number; messages: Message[] }> {
  const reader = await TestClient.connect(wsUrl);
  onTestFinished(() => reader.terminate());
  readers += 1;
  await reader.hello(`crash-reader-${readers}`);
  const joined = await reader.join(ROOM);
  const messages = [...joined.messages];
  let hasMore = joined.hasMore;
  for (let page = 0; hasMore && page < 1000; page++) {
    reader.send({ type: 'history', room: ROOM, before: messages[0]!.seq, limit: 100 });
    const history = await reader.next('history', 5000);
    messages.unshift(...history.messages);
    hasMore = history.hasMore;
  }
  await reader.close();
  return { latest: joined.seq, messages };
}

it('loses no acked message and duplicates none across two SIGKILLs', { timeout: 60_000 }, async () => {
  const started = Date.now();
  const dir = await makeTempDir();
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const port = await freePort();
  const wsUrl = `ws://127.0.0.1:${port}/ws`;
  const env = {
    PORT: String(port),
    HOST: '127.0.0.1',
    ...storeEnv(dir),
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
    userId: undefined,
    token: undefined,
    client: undefined,
    next: 0,
    sent: new Map(),
    acked: new Map(),
    ackMismatches: [],
  }));

  let child = await boot();
  await Promise.all(senders.map((s) => resume(s, wsUrl)));
  const cycles: string[] = [];

  for (const [cycle, killAfter] of KILL_AFTER_ACKS.entries()) {
    const target = totalAcks + killAfter;
    let killed = false;
    const pumps = Promise.all(senders.map((s) => pump(s, Number.POSITIVE_INFINITY, () => killed)));
    await waitFor(() => totalAcks >= target, 15_000, `${killAfter} acks in cycle ${cycle + 1}`);
    child.kill('SIGKILL');
    killed = true;
    expect((await child.exited(5000)).signal).toBe('SIGKILL');
    await pumps;
    const inFlight = senders.reduce((n, s) => n + unacked(s).length, 0);
    const ackedAtKill = totalAcks;

    child = await boot();
    // What survived the kill, before anyone resends.
    const { latest: storedAfterKill } = await readAll(wsUrl);
    await Promise.all(senders.map((s) => resume(s, wsUrl)));
    const resentAlreadyStored =
      senders.reduce((n, s) => n + [...s.acked.values()].filter((seq) => seq <= storedAfterKill).length, 0) -
      ackedAtKill;
    cycles.push(
      `cycle ${cycle + 1}: acked at kill ${ackedAtKill}, in flight ${inFlight} ` +
        `(stored but unacked ${resentAlreadyStored}, stored on resend ${inFlight - resentAlreadyStored}), ` +
        `stored after restart ${storedAfterKill}`,
    );
  }

  await Promise.all(senders.map((s) => pump(s, TAIL, () => false)));
  const { latest, messages } = await readAll(wsUrl);
  child.kill('SIGTERM');
  await child.exited(12_000);

  const count = new Map<string, number>();
  for (const m of messages) {
    const key = `${m.from.id}/${m.id}`;
    count.set(key, (count.get(key) ?? 0) + 1);
  }
  const byKey = new Map(messages.map((m) => [`${m.from.id}/${m.id}`, m]));
  let acked = 0;
  const lost: string[] = [];
  const seqMismatch: string[] = [];
  for (const s of senders) {
    for (const [id, seq] of s.acked) {
      acked += 1;
      const stored = byKey.get(`${s.userId}/${id}`);
      if (!stored) lost.push(id);
      else if (stored.seq !== seq) seqMismatch.push(`${id}: acked ${seq}, stored ${stored.seq}`);
      else if (stored.text !== s.sent.get(id)) seqMismatch.push(`${id}: text differs`);
    }
  }
  const duplicated = [...count.entries()].filter(([, n]) => n > 1).map(([key, n]) => `${key}×${n}`);
  const unackedAtEnd = senders.reduce((n, s) => n + unacked(s).length, 0);
  const seqs = messages.map((m) => m.seq);
  const ackMismatches = senders.flatMap((s) => s.ackMismatches);

  console.log(
    [
      ...cycles,
      `crash test: acked ${acked}, stored ${messages.length} (latest seq ${latest}), ` +
        `lost ${lost.length}, duplicated ${duplicated.length}, unacked at end ${unackedAtEnd}, ` +
        `ack/seq mismatches ${seqMismatch.length + ackMismatches.length}, ${Date.now() - started} ms`,
    ].join('\n'),
  );

  expect(lost, 'acked ids missing from history').toEqual([]);
  expect(duplicated, 'ids stored more than once').toEqual([]);
  expect(seqMismatch, 'stored message differs from its ack').toEqual([]);
  expect(ackMismatches, 'a resend was acked with another seq').toEqual([]);
  expect(seqs, 'seqs 1..N without gaps').toEqual(Array.from({ length: latest }, (_, i) => i + 1));
  expect(unackedAtEnd).toBe(0);
  expect(messages.length).toBe(acked);
});
