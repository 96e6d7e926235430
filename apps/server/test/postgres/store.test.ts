/**
 * PostgresStore itself, on a real cluster: the group commit's statement with
 * several stores on one database, and the plans PostgreSQL makes for the
 * store's statements before autovacuum has analyzed anything.
 *
 * The plans matter because every statement is prepared once per connection
 * and its plan kept: one made while the tables were small (a fresh
 * database, the first minutes of a benchmark), a generic one that guesses
 * 10 rows for a batch, or one made from statistics taken before a room grew,
 * must still do work in proportion to what it answers, not to the room or
 * the table. Each statement is run here under `EXPLAIN ANALYZE` on a room of
 * 20,200 events, never analyzed or analyzed before it existed, with the
 * generic plan and with a custom one, and the rows its plan handled are
 * counted. (Before: a `latest` of 50 handled 2.27 million rows, joining each
 * to a copy of the whole room; a batch of 200 read the whole messages table
 * for its resend check; a resume of 100 rows walked the room once per row
 * through the (room, rev) index.)
 */
import type { User } from '@tether/protocol';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { AppendOutcome, NewMessage } from '../../src/chat/ports.js';
import { APPEND } from '../../src/postgres/append.js';
import { APPLY_CHANGES } from '../../src/postgres/changes-sql.js';
import { READS } from '../../src/postgres/reads.js';
import { migrate } from '../../src/postgres/schema.js';
import { PostgresStore } from '../../src/postgres/store.js';
import { freshSchema, startCluster, type PostgresCluster } from '../helpers/postgres.js';

let cluster: PostgresCluster;

beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(async () => {
  await cluster.stop();
});

async function newDatabase(): Promise<{ url: string; stores: PostgresStore[]; close(): Promise<void> }> {
  const url = await freshSchema(cluster.url);
  const stores: PostgresStore[] = [];
  const setup = new pg.Pool({ connectionString: url, max: 1 });
  await migrate(setup);
  await setup.end();
  return {
    url,
    stores,
    close: () => Promise.all(stores.map((s) => s.close())).then(() => undefined),
  };
}

function openStore(url: string, stores: PostgresStore[]): PostgresStore {
  const store = new PostgresStore(new pg.Pool({ connectionString: url, max: 3 }));
  stores.push(store);
  return store;
}

describe('postgres store: group commits of sends', () => {
  it('numbers the sends of three stores gap-free per room, answers resends with the first ack, and stores each under the name its sender holds', async () => {
    const db = await newDatabase();
    try {
      const stores = [
        openStore(db.url, db.stores),
        openStore(db.url, db.stores),
        openStore(db.url, db.stores),
      ];
      const [first] = stores as [PostgresStore, PostgresStore, PostgresStore];
      const users: User[] = [];
      for (let i = 0; i < 20; i++) {
        const user = await first.createUser({
          now: 0,
          name: `user${i}`,
          nameKey: `user${i}`,
          tokenHash: `t${i}`,
          expiresAt: Date.now() + 3_600_000,
        });
        if (!user) throw new Error('no user');
        users.push(user);
      }
      // user0 took a new name; its sends still say the old one.
      await first.renameUser(users[0]?.id ?? '', 'renamed', 'renamed', 0);

      const sent: { message: NewMessage; outcome: Promise<AppendOutcome> }[] = [];
      const send = (store: PostgresStore, message: NewMessage): void => {
        sent.push({ message, outcome: store.append(message) });
      };
      for (let round = 0; round < 6; round++) {
        for (let i = 0; i < 300; i++) {
          const n = round * 300 + i;
          const message = {
            room: `room${n % 30}`,
            id: `c${n}`,
            from: users[n % 20] ?? { id: '', name: '' },
            text: `message ${n}`,
            ts: n,
          };
          const store = stores[n % 3] as PostgresStore;
          send(store, message);
          // Every 50th resent at once to the same store: in the same batch.
          if (n % 50 === 0) send(store, { ...message });
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
      await Promise.all(sent.map((s) => s.outcome));
      // Every 50th resent later through another store: found in the database.
      for (let n = 0; n < 1800; n += 50) {
        const { message } = sent.find((s) => s.message.id === `c${n}`) as { message: NewMessage };
        send(stores[(n + 1) % 3] as PostgresStore, { ...message });
      }
      const outcomes = await Promise.all(sent.map((s) => s.outcome));

      // Each (user, id) stored once (by whichever copy came first); every copy answered with its seq.
      const seqOf = new Map<string, number>();
      const storedKeys = new Set<string>();
      const seqsByRoom = new Map<string, number[]>();
      outcomes.forEach((outcome, i) => {
        const { message } = sent[i] as { message: NewMessage };
        const key = `${message.from.id}/${message.id}`;
        const seq = outcome.kind === 'stored' ? outcome.message.seq : outcome.ack.seq;
        if (outcome.kind === 'stored') {
          expect(storedKeys.has(key), `${key} stored twice`).toBe(false);
          storedKeys.add(key);
          const seqs = seqsByRoom.get(message.room) ?? [];
          seqs.push(seq);
          seqsByRoom.set(message.room, seqs);
          expect(outcome.message.from.name).toBe(
            message.from.id === users[0]?.id ? 'renamed' : message.from.name,
          );
        } else {
          expect(outcome.ack.room).toBe(message.room);
        }
        if (seqOf.has(key)) expect(seq).toBe(seqOf.get(key));
        else seqOf.set(key, seq);
      });
      expect(seqOf.size).toBe(1800);
      const stored = outcomes.filter((o) => o.kind === 'stored').length;
      expect(stored).toBe(1800);
      expect(outcomes.filter((o) => o.kind === 'duplicate').length).toBeGreaterThan(0);
      for (const [room, seqs] of seqsByRoom) {
        expect(
          seqs.sort((a, b) => a - b),
          room,
        ).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
        expect((await first.findRoom(room))?.seq).toBe(60);
      }

      // A change's key answers a send: the change's ack, nothing stored.
      const author = users[1] ?? { id: '', name: '' };
      const target = seqOf.get(`${author.id}/c1`) ?? 0;
      const change = await first.change({
        room: 'room1',
        id: 'k1',
        from: author,
        target,
        op: { kind: 'edit', text: 'edited' },
        ts: 5,
      });
      expect(change.kind).toBe('changed');
      const resend = await first.append({ room: 'room2', id: 'k1', from: author, text: 'again', ts: 6 });
      expect(resend).toEqual({ kind: 'duplicate', ack: { room: 'room1', id: 'k1', seq: 61, ts: 5 } });
      expect((await first.findRoom('room2'))?.seq).toBe(60);
    } finally {
      await db.close();
    }
  });
});

interface PlanNode {
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Join Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PlanNode[];
}

/** Rows every node of the plan produced or threw away, over all its loops. */
function rowsHandled(node: PlanNode): number {
  const perLoop =
    node['Actual Rows'] +
    (node['Rows Removed by Filter'] ?? 0) +
    (node['Rows Removed by Join Filter'] ?? 0) +
    (node['Rows Removed by Index Recheck'] ?? 0);
  return (
    perLoop * node['Actual Loops'] + (node.Plans ?? []).reduce((sum, child) => sum + rowsHandled(child), 0)
  );
}

/**
 * A database with room0 of 20,000 messages then 200 edits of older ones (seq
 * 20,200), and 2,000 messages in each of room1…room9, 2,000 users and 5,000
 * keys of changes; autovacuum off. With
 * `analyzeFirst`, the statistics are taken before room0 exists (as when a
 * room grows between two autovacuum runs): PostgreSQL then takes room0 for
 * a room of one row.
 */
async function plansDatabase(
  analyzeFirst: boolean,
): Promise<{ client: pg.Client; close: () => Promise<void> }> {
  const db = await newDatabase();
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  for (const table of ['messages', 'changes', 'users', 'rooms', 'reactions'])
    await client.query(`ALTER TABLE ${table} SET (autovacuum_enabled = false)`);
  // 2,000 users and 5,000 keys of changes that were no events: tables too big to read per message.
  await client.query(`INSERT INTO users (id, name, name_key, token_hash, expires_at)
    SELECT 'u' || i, 'user' || i, 'user' || i, 't' || i, 0 FROM generate_series(0, 1999) i`);
  await client.query(`INSERT INTO changes (user_id, client_id, room, seq, ts, target, event)
    SELECT 'u' || (i % 2000), 'k' || i, 'room1', 1, 0, 1, false FROM generate_series(1, 5000) i`);
  for (let n = 0; n < 18_000; n += 1000)
    await client.query(
      APPEND,
      batch(n, 1000, (i) => `room${1 + (i % 9)}`),
    );
  if (analyzeFirst) await client.query('ANALYZE');
  for (let n = 18_000; n < 38_000; n += 1000)
    await client.query(
      APPEND,
      batch(n, 1000, () => 'room0'),
    );
  // 200 edits by their authors (message seq s of room0 is n = 17,999 + s), of 200 different messages.
  const targets = Array.from({ length: 200 }, (_, k) => 1 + ((k * 97) % 20_000));
  const each = <T>(f: (target: number, k: number) => T): T[] => targets.map(f);
  await client.query(APPLY_CHANGES, [
    each(() => 'room0'),
    each((_, k) => `e${k}`),
    each((s) => `u${(17_999 + s) % 20}`),
    each(() => 1),
    targets,
    each(() => 'edit'),
    each((_, k) => `edited ${k}`),
    each(() => false),
    each(() => null),
    each(() => null),
    20,
  ]);
  return {
    client,
    close: async () => {
      await client.end();
      await db.close();
    },
  };
}

type Value = string | number | boolean | null;

/** The arguments of APPEND for `size` messages from message `from` on. */
function batch(from: number, size: number, room: (n: number) => string): Value[][] {
  const ns = Array.from({ length: size }, (_, i) => from + i);
  return [
    ns.map(room),
    ns.map((n) => `p${n}`),
    ns.map((n) => `u${n % 20}`),
    ns.map((n) => `user${n % 20}`),
    ns.map((n) => n),
    ns.map((n) => `message ${n}`),
    ns.map(() => false),
    ns.map(() => null),
  ];
}

/** The same as literals, for EXECUTE. */
const literals = (args: Value[][]): string =>
  args
    .map((values) => `'{${values.map((v) => (v === null ? 'NULL' : `"${String(v)}"`)).join(',')}}'`)
    .join(', ');

describe('postgres store: plans without statistics, or with statistics older than the room', () => {
  for (const analyzeFirst of [false, true]) {
    it(`does work in proportion to the answer, not to the room (${analyzeFirst ? 'analyzed before the room grew' : 'never analyzed'}; generic and custom plans)`, async () => {
      const { client, close } = await plansDatabase(analyzeFirst);
      try {
        // How many messages a resume from `since` holds (rev past it), at most RESUME_LIMIT + 1.
        const resume = async (since: number): Promise<number> => {
          const { rows } = await client.query<{ n: string }>(
            "SELECT count(*) AS n FROM messages WHERE room = 'room0' AND rev > $1",
            [since],
          );
          return Math.min(501, Number(rows[0]?.n));
        };
        // [name, statement, arguments, rows answered, at most this many rows handled]
        const statements: [string, string, string, number, number][] = [
          ['append', APPEND, literals(batch(1_000_000, 200, (n) => `room${n % 10}`)), 200, 8_000],
          [
            'append to 200 rooms',
            APPEND,
            literals(batch(2_000_000, 200, (n) => `new${n % 200}`)),
            200,
            8_000,
          ],
          ['message', READS.tether_message, "'room0', 19000", 1, 100],
          ['events', READS.tether_events, "'room0', 19700, 500", 500, 20_000],
          ['latest', READS.tether_latest, "'room0', 51", 51, 2_000],
          // A long resume: the newest 501; the changed older ones not even looked for.
          ['after 2,300 back', READS.tether_after, "'room0', 17900, 501", await resume(17_900), 20_000],
          // Short ones: the last events are edits; then 50 new messages and 200 edits.
          ['after 150 back', READS.tether_after, "'room0', 20050, 501", await resume(20_050), 6_000],
          ['after 250 back', READS.tether_after, "'room0', 19950, 501", await resume(19_950), 10_000],
        ];
        expect(statements.map((s) => s[3]).slice(-3)).toEqual([501, 150, 250]);
        for (const [i, [, sql]] of statements.entries()) await client.query(`PREPARE s${i} AS ${sql}`);
        for (const mode of ['force_generic_plan', 'force_custom_plan']) {
          await client.query(`SET plan_cache_mode = ${mode}`);
          for (const [i, [name, , args, answer, bound]] of statements.entries()) {
            await client.query('BEGIN');
            const { rows } = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
              `EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE s${i}(${args})`,
            );
            await client.query('ROLLBACK');
            const plan = rows[0]?.['QUERY PLAN'][0].Plan;
            if (!plan) throw new Error(`no plan for ${name}`);
            expect.soft(plan['Actual Rows'], `${name}, ${mode}`).toBe(answer);
            expect.soft(rowsHandled(plan), `${name}, ${mode}: rows handled`).toBeLessThan(bound);
          }
        }
      } finally {
        await close();
      }
    });
  }
});
