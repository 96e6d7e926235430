/**
 * docs/protocol.md › Messages: "A message that was acked is never lost: not by a
 * reconnect, not by the server being killed", and the idempotent resend that
 * makes that work without duplicates.
 *
 * Four clients stream messages into two rooms (each keeps a window of sends
 * in flight), and mix in changes of their own acked messages (edits,
 * reactions, deletes; docs/protocol.md › Changing messages), while the
 * server, a child process, is killed with SIGKILL at a random moment of each
 * cycle. After every restart, before anyone resends, the whole history is
 * read back: every message acked so far must be there exactly once, in the
 * room, at the seq it was acked with, and every acked change must be in its
 * message (its rev at least the change's seq). Then the clients resume as
 * docs/protocol.md › Reconnect says (hello with token, join with since and
 * epoch, resend every unacked id, changes included) and the next cycle goes
 * on. At the end, with everything acked, each room's events (messages and
 * acked changes) run 1..N without a gap or a seq no ack names (a change
 * applied twice would take one), and every message is in the state the
 * acked changes, replayed in seq order, leave it in.
 *
 * CRASH_KILLS (default 20) and CRASH_SEED (default: random, printed) make a
 * failing run repeatable.
 */
import { setTimeout as sleep } from 'node:timers/promises';

import type { Message } from '@tether/protocol';

import { expect, it, onTestFinished } from 'vitest';

import { differences, expectedStates } from '../helpers/changes-model.js';
import { launchServer, NO_RATE_LIMIT } from '../helpers/child.js';
import { readRoom } from '../helpers/client.js';
import { waitFor } from '../helpers/metrics.js';
import { prng } from '../helpers/random.js';
import { ReconnectingClient, type ChangeRequest } from '../helpers/reconnecting.js';

const KILLS = Number(process.env.CRASH_KILLS ?? 20);
const SEED = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const ROOMS = ['alpha', 'beta'] as const;
const CLIENTS = 4;
const WINDOW = 6;
/** Share of new requests that change an acked message instead of sending one. */
const CHANGE_SHARE = 0.3;
const EMOJI = ['👍', '🎉', 'ok'] as const;

interface Verified {
  /** Messages stored. */
  messages: number;
  /** Events that are changes: the rooms' seqs minus their messages. */
  changeEvents: number;
}

/**
 * Everything acked is stored once at its acked room and seq; every acked
 * change is in its message. `final` (everything acked): events run 1..N per
 * room, and each message is in the state the acked changes leave it in.
 */
async function verify(
  wsUrl: string,
  clients: readonly ReconnectingClient[],
  when: string,
  final = false,
): Promise<Verified> {
  const stored = new Map<string, Message>();
  const byPlace = new Map<string, Message>();
  const events = new Map<string, Set<number>>();
  const latest = new Map<string, number>();
  const problems: string[] = [];
  const result: Verified = { messages: 0, changeEvents: 0 };
  for (const room of ROOMS) {
    const read = await readRoom(wsUrl, room);
    latest.set(room, read.latest);
    result.messages += read.messages.length;
    result.changeEvents += read.latest - read.messages.length;
    const seqs = read.messages.map((m) => m.seq);
    if (seqs.some((seq, i) => i > 0 && seq <= seqs[i - 1]!)) problems.push(`${room}: seqs do not ascend`);
    events.set(room, new Set(seqs));
    for (const m of read.messages) {
      const key = `${m.from.id}/${m.id}`;
      if (stored.has(key)) problems.push(`${key} stored twice`);
      stored.set(key, m);
      byPlace.set(`${m.room}:${m.seq}`, m);
    }
  }
  for (const c of clients) {
    for (const [id, { room, seq }] of c.acked) {
      const at = `${room}:${seq}`;
      const change = c.changes.get(id);
      if (change) {
        events.get(room)?.add(seq);
        const target = byPlace.get(`${room}:${change.target}`);
        if (!target) problems.push(`${id}: the ${change.type} of ${room}:${change.target} finds no message`);
        else if ((target.rev ?? target.seq) < seq)
          problems.push(`${id}: acked at ${at}, message at rev ${target.rev}`);
        continue;
      }
      const found = stored.get(`${c.userId}/${id}`);
      const foundAt = found ? `${found.room}:${found.seq}` : 'nowhere';
      if (foundAt !== at) problems.push(`${id} acked at ${at}, stored at ${foundAt}`);
    }
  }
  if (final) {
    for (const room of ROOMS) {
      const seen = events.get(room) ?? new Set<number>();
      const n = latest.get(room) ?? 0;
      for (let seq = 1; seq <= n; seq++)
        if (!seen.has(seq)) problems.push(`${room}: seq ${seq} is no message and no acked change`);
      if (seen.size !== n) problems.push(`${room}: ${seen.size} events named, ${n} in the room`);
    }
    for (const [place, expected] of expectedStates(clients)) {
      const m = byPlace.get(place);
      if (!m) problems.push(`${place}: not stored`);
      else problems.push(...differences(m, expected));
    }
  }
  expect(problems, when).toEqual([]);
  return result;
}

/** Picks a change of one of `client`'s acked messages now and then (never one it has deleted). */
function changes(random: () => number): (client: ReconnectingClient) => ChangeRequest | undefined {
  const deleted = new Set<string>();
  let edits = 0;
  return (client) => {
    if (random() >= CHANGE_SHARE) return undefined;
    // Ids are `<name>-<n>`: a random earlier one, if it is an acked message.
    const id = `${client.name}-${Math.floor(random() * (client.sent.size + client.changes.size))}`;
    const ack = client.sent.has(id) ? client.acked.get(id) : undefined;
    if (!ack || deleted.has(`${ack.room}:${ack.seq}`)) return undefined;
    const base = { room: ack.room, target: ack.seq };
    const draw = random();
    if (draw < 0.45) return { type: 'edit', ...base, text: `${client.name} edit ${edits++}` };
    if (draw < 0.88) {
      return {
        type: 'react',
        ...base,
        emoji: EMOJI[Math.floor(random() * EMOJI.length)]!,
        on: random() < 0.7,
      };
    }
    deleted.add(`${ack.room}:${ack.seq}`);
    return { type: 'delete', ...base };
  };
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
    for (const c of clients) c.chooseChange = changes(random);
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
      const ackedBefore = sum(clients, (c) => [...c.acked.keys()].filter((id) => c.sent.has(id)).length);

      await server.restart();
      const stored = await verify(wsUrl, clients, `after kill ${kill + 1} (seed ${SEED})`);
      storedUnacked += stored.messages - ackedBefore;
      await resume();
    }

    const total = await verify(wsUrl, clients, `at the end (seed ${SEED})`, true);
    expect((await server.kill('SIGTERM')).code).toBe(0);
    const ackedChanges = sum(clients, (c) => [...c.acked.keys()].filter((id) => c.changes.has(id)).length);
    const acked = sum(clients, (c) => c.acked.size) - ackedChanges;
    console.log(
      `crash: ${KILLS} SIGKILLs (seed ${SEED}; kill after ${Math.min(...delays)}–${Math.max(...delays)} ms of traffic), ` +
        `${acked} messages acked, ${total.messages} stored, ${inFlightAtKills} requests in flight at the kills ` +
        `(${storedUnacked} messages of them stored before the ack); ${ackedChanges} changes acked, ` +
        `${total.changeEvents} change events stored, lost 0, applied twice 0; ${Date.now() - started} ms`,
    );
    expect(clients.flatMap((c) => c.problems)).toEqual([]);
    expect(clients.every((c) => c.unacked === 0)).toBe(true);
    expect(total.messages).toBe(acked);
    expect(ackedChanges).toBeGreaterThan(0);
    // The kills hit real traffic: at least 30 acks a cycle on average (runs
    // ack about a thousand a cycle).
    expect(acked).toBeGreaterThanOrEqual(30 * KILLS);
  },
);
