/**
 * What a resume costs when a room's messages change (issue 14): a room of
 * 100,000 messages with 10,000 edits interleaved (one every ten messages, of
 * a random earlier message) beside one without edits, and the time of
 * `store.after(room, since, RESUME_LIMIT)` (the read behind `joined` with
 * `since`) for resume points from 10 to 100,000 events back. A second
 * edited room takes its 10,000 edits as one burst at the end: the worst case,
 * where every event since the resume point changed an old message.
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
const REPS = 30;
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

async function msPerResume(store: ChatStore, room: string, since: number): Promise<number> {
  await store.after(room, since, LIMITS.RESUME_LIMIT);
  const start = performance.now();
  for (let i = 0; i < REPS; i++) await store.after(room, since, LIMITS.RESUME_LIMIT);
  return (performance.now() - start) / REPS;
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
    // One after the other: they share the machine.
    const times: number[] = [];
    for (const { room, seq } of rooms) times.push(await msPerResume(store, room, Math.max(0, seq - back)));
    const [plain, edited, burst] = times;
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
