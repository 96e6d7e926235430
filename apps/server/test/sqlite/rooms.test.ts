/**
 * docs/protocol.md › rooms, room lifetime, on SQLite: 70,000 rooms (what one
 * script made in 16 s before rooms had a budget) are listed a page at a
 * time, searched by prefix, and a fresh client still connects; empty rooms
 * nobody joined lately are not listed and are swept.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

import Database from 'better-sqlite3';
import { LIMITS } from '@tether/protocol';
import { describe, expect, it, onTestFinished } from 'vitest';

import { SqliteStore } from '../../src/sqlite/store.js';
import { steppedClock } from '../helpers/clock.js';
import { waitFor } from '../helpers/metrics.js';
import { makeTempDir, startTestServer } from '../helpers/server.js';

const HOUR_MS = 3_600_000;
const ROOMS = 70_000;
const room = (i: number) => `r${String(i).padStart(5, '0')}`;

/** A database with `count` rooms, each holding one message (so none is idle), made directly. */
async function databaseWithRooms(count: number): Promise<string> {
  const dir = await makeTempDir();
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'chat.db');
  // The store creates the schema; the rows go in with plain SQL, in one transaction.
  await new SqliteStore(file).close();
  const db = new Database(file);
  const insert = db.prepare('INSERT INTO rooms (name, epoch, seq, touched_at) VALUES (?, ?, 1, 0)');
  db.transaction(() => {
    for (let i = 0; i < count; i++) insert.run(room(i), `e_${i}`);
  })();
  db.close();
  return file;
}

describe('70,000 rooms', () => {
  it('are listed a page at a time and searched by prefix; a fresh client connects and lists them', async () => {
    const file = await databaseWithRooms(ROOMS);
    await using srv = await startTestServer({ DATABASE_PATH: file });
    const client = await srv.user('newcomer');
    client.send({ type: 'rooms' });
    const first = await client.next('rooms');
    expect(first.rooms).toHaveLength(LIMITS.ROOMS_PAGE_LIMIT);
    expect(first.rooms[0]).toEqual({ name: room(0), members: 0, seq: 1 });
    expect(first.hasMore).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(first))).toBeLessThan(LIMITS.MAX_PAGE_BYTES);

    client.send({ type: 'rooms', after: first.rooms.at(-1)?.name, limit: 50 });
    const second = await client.next('rooms');
    expect(second.rooms.map((r) => r.name)).toEqual(Array.from({ length: 50 }, (_, i) => room(100 + i)));

    client.send({ type: 'rooms', prefix: 'r6999' });
    const found = await client.next('rooms');
    expect(found.rooms.map((r) => r.name)).toEqual(Array.from({ length: 10 }, (_, i) => room(69_990 + i)));
    expect(found.hasMore).toBe(false);

    client.send({ type: 'rooms', prefix: 'r69', after: room(69_998) });
    const last = await client.next('rooms');
    expect(last.rooms.map((r) => r.name)).toEqual([room(69_999)]);
    // Each answer says which page it is: a client searching as someone types keeps the current one.
    expect([last.prefix, last.after]).toEqual(['r69', room(69_998)]);
    expect([found.prefix, found.after]).toEqual(['r6999', undefined]);
    expect(client.isOpen()).toBe(true);
  }, 60_000);
});

describe('empty rooms', () => {
  it('are listed while someone joined them lately, then not, and are swept once nobody is in them', async () => {
    let offset = 0;
    const moved = steppedClock(() => offset);
    await using srv = await startTestServer({ EMPTY_ROOM_TTL_HOURS: '1' }, { clock: moved });
    const alice = await srv.user('alice');
    await alice.join('lonely');
    await alice.join('busy');
    await alice.say('busy', 'hello');
    await alice.join('held');
    alice.send({ type: 'leave', room: 'lonely' });
    await alice.next('left');
    alice.send({ type: 'rooms' });
    expect((await alice.next('rooms')).rooms.map((r) => r.name)).toEqual(['busy', 'held', 'lonely']);

    offset = 2 * HOUR_MS;
    alice.send({ type: 'rooms' });
    // `lonely` and `held` hold no message and nobody joined them in the last hour.
    expect((await alice.next('rooms')).rooms.map((r) => r.name)).toEqual(['busy']);
    const swept = await srv.server.sweep();
    // `held` still has alice in it: it stays (and would be listed again on her next join).
    expect(swept.rooms).toBe(1);
    // Her join counts as a recent one once it is committed (with the next group commit).
    await alice.join('held');
    await waitFor(
      async () => {
        alice.send({ type: 'rooms' });
        const names = (await alice.next('rooms')).rooms.map((r) => r.name);
        return names.join() === 'busy,held' ? true : undefined;
      },
      5000,
      'held listed again',
    );
    // `lonely` is gone: joining it again creates it anew, with a new epoch.
    const again = await alice.join('lonely');
    expect(again.seq).toBe(0);
  });
});
