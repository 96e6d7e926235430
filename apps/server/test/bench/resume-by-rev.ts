/**
 * What a resume costs when a room's messages change (issue 14): a room of
 * 100,000 messages with 10,000 edits interleaved (one every ten messages, of
 * a random earlier message) beside one without edits, and the time of
 * `store.after(room, since, RESUME_LIMIT)` (the read behind `joined` with
 * `since`; the median of 60) for resume points from 10 to 100,000 events
 * back. A second edited room takes its 10,000 edits as one burst at the
 * end: the worst case, where every event since the resume point changed an
 * old message.
 *
 *   npx tsx apps/server/test/bench/resume-by-rev.ts            SQLite (a temp file)
 *   node scripts/postgres-cluster.mjs -- npx tsx apps/server/test/bench/resume-by-rev.ts
 *                                                              PostgreSQL too (DATABASE_URL)
 *
 * Not a test (no `.test.ts`): it takes a minute and prints a table.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { LIMITS } from '@tether/protocol';
import { pino } from 'pino';

import type { ChatStore } from '../../src/chat/ports.js';
import { postgresBackend } from '../../src/postgres/index.js';
import { SqliteStore } from '../../src/sqlite/store.js';

const MESSAGES = 100_000;
const EDITS = 10_000;
const BACK = [10, 100, 500, 2_000, 20_000, 100_000];
const REPS = 60;
const alice = { id: 'u_a', name: 'alice' };

/** The room: MESSAGES messages and `edits` edits (of random earlier messages), interleaved or (`burst`) all at the end. */
async function fill(store: ChatStore, room: string, edits: number, burst: boolean): Promise<number> {
  let seed = 7;
  const random = () => (seed = (seed * 48_271) % 2_147_483_647) / 2_147_483_647;
  const every = edits > 0 && !burst ? MESSAGES / edits : Infinity;
  const seqs: number[] = [];
  let made = 0;
  const edit = () =>
    store.change({
      room,
      id: `${room}-e${made}`,
      from: alice,
      target: seqs[Math.floor(random() * seqs.length)] ?? 1,
      op: { kind: 'edit', text: `edited ${made++}` },
      ts: 2,
    });
  const send = async (n: number) => {
    const outcome = await store.append({
      room,
      id: `${room}-m${n}`,
      from: alice,
      text: `message ${n}, some text`,
      ts: 1,
    });
    if (outcome.kind === 'stored') seqs.push(outcome.message.seq);
  };
  for (let i = 0; i < MESSAGES; i += 1000) {
    const group: Promise<unknown>[] = [];
    for (let j = 0; j < 1000; j++) {
      group.push(send(i + j));
      if ((i + j + 1) % every === 0) {
        await Promise.all(group.splice(0));
        group.push(edit());
      }
    }
    await Promise.all(group);
  }
  if (burst) for (let k = 0; k < edits; k += 500) await Promise.all(Array.from({ length: 500 }, edit));
  return (await store.findRoom(room))?.seq ?? 0;
}

/**
 * The median ms of a resume `back` events from each room's end. The rooms
 * take turns call by call, so that what else the machine does falls on all
 * of them alike (a ratio of sub-millisecond means was mostly noise).
 */
async function msPerResume(
  store: ChatStore,
  rooms: readonly { room: string; seq: number }[],
  back: number,
): Promise<number[]> {
  const since = rooms.map(({ seq }) => Math.max(0, seq - back));
  const times = rooms.map(() => [] as number[]);
  for (let i = -1; i < REPS; i++) {
    for (const [k, { room }] of rooms.entries()) {
      const start = performance.now();
      await store.after(room, since[k] ?? 0, LIMITS.RESUME_LIMIT);
      // The first round warms up.
      if (i >= 0) times[k]?.push(performance.now() - start);
    }
  }
  return times.map((t) => t.sort((x, y) => x - y)[REPS >> 1] ?? 0);
}

async function measure(name: string, store: ChatStore): Promise<void> {
  const rooms = [
    { room: 'plain', seq: await fill(store, 'plain', 0, false) },
    { room: 'edited', seq: await fill(store, 'edited', EDITS, false) },
    { room: 'burst', seq: await fill(store, 'burst', EDITS, true) },
  ];
  console.log(`\n${name}: ${rooms.map((r) => `${r.room} seq ${r.seq}`).join(', ')}`);
  console.log('| events back | plain ms | edited ms (ratio) | burst at the end ms (ratio) |');
  console.log('| ---: | ---: | ---: | ---: |');
  for (const back of BACK) {
    const [plain, edited, burst] = await msPerResume(store, rooms, back);
    const ratio = (t: number) => `${t.toFixed(2)} (${(t / plain!).toFixed(2)}×)`;
    console.log(`| ${back} | ${plain!.toFixed(2)} | ${ratio(edited!)} | ${ratio(burst!)} |`);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'tether-resume-'));
try {
  const sqlite = new SqliteStore(join(dir, 'chat.db'));
  await measure('SQLite', sqlite);
  await sqlite.close();
  const url = process.env.DATABASE_URL;
  if (url) {
    const { store } = await postgresBackend({
      url,
      poolSize: 4,
      connectTimeoutMs: 10_000,
      log: pino({ level: 'silent' }),
    });
    await measure('PostgreSQL', store);
    await store.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
