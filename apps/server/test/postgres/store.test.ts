/**
 * PostgresStore itself, on a real cluster: the group commit's statement with
 * several stores on one database, and the plans PostgreSQL makes for the
 * store's statements before autovacuum has analyzed anything.
 *
 * The plans matter because every statement is prepared once per connection
 * and its plan kept: one made while the tables were small (a fresh
 * database, the first minutes of a benchmark), or a generic one that
 * guesses 10 rows for a batch, must still do work in proportion to what it
 * answers, not to the room or the table. Each statement is run here under
 * `EXPLAIN ANALYZE` on a room of 20,000 messages never analyzed, with the
 * generic plan and with a custom one, and the rows its plan handled are
 * counted: well under the room's 21,800 however the plan is made. (Before, a `latest` of 50 joined each row to a copy of the whole
 * room, and the batch's resend check read the whole messages table.)
 */
import type { User } from '@tether/protocol';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { AppendOutcome, NewMessage } from '../../src/chat/ports.js';
import { APPEND } from '../../src/postgres/append.js';
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

const literal = (values: readonly (string | number | boolean | null)[]): string =>
  `'{${values.map((v) => (v === null ? 'NULL' : `"${String(v)}"`)).join(',')}}'`;

describe('postgres store: plans on tables autovacuum has not analyzed yet', () => {
  it('does work in proportion to the answer, not to the room, with generic and custom plans', async () => {
    const db = await newDatabase();
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      for (const table of ['messages', 'changes', 'users', 'rooms', 'reactions'])
        await client.query(`ALTER TABLE ${table} SET (autovacuum_enabled = false)`);
      // Prepared while the tables are empty, as a server prepares them at its first joins.
      const batch = (from: number, size: number, rooms: number): string =>
        [
          literal(Array.from({ length: size }, (_, i) => `room${(from + i) % rooms}`)),
          literal(Array.from({ length: size }, (_, i) => `p${from + i}`)),
          literal(Array.from({ length: size }, (_, i) => `u${(from + i) % 20}`)),
          literal(Array.from({ length: size }, (_, i) => `user${(from + i) % 20}`)),
          literal(Array.from({ length: size }, (_, i) => from + i)),
          literal(Array.from({ length: size }, (_, i) => `message ${from + i}`)),
          literal(Array.from({ length: size }, () => false)),
          literal(Array.from({ length: size }, () => null)),
        ].join(', ');
      // [name, statement, arguments, rows answered, at most this many rows handled]
      const statements: [string, string, string, number, number][] = [
        ['append', APPEND, batch(1_000_000, 200, 10), 200, 8_000],
        ['append to 200 rooms', APPEND, batch(2_000_000, 200, 200), 200, 8_000],
        ['message', READS.tether_message, "'room0', 19000", 1, 100],
        ['events', READS.tether_events, "'room0', 19500, 500", 500, 20_000],
        ['latest', READS.tether_latest, "'room0', 51", 51, 2_000],
        ['after', READS.tether_after, "'room0', 19500, 501", 501, 20_000],
        // The messages changed since the last 100 seqs: none, found among those 100.
        ['changed since', READS.tether_changed_since, "'room0', 21700", 0, 400],
        ['messages at', READS.tether_messages_at, "'room0', '{1,5000,10000,19999}'", 4, 200],
      ];
      for (const [i, [, sql]] of statements.entries()) await client.query(`PREPARE s${i} AS ${sql}`);
      await client.query(`INSERT INTO users (id, name, name_key, token_hash, expires_at)
        SELECT 'u' || i, 'user' || i, 'user' || i, 't' || i, 0 FROM generate_series(0, 19) i`);
      // 21,800 messages in room0 (1,800 in each other room), through the statement itself.
      for (let n = 0; n < 38_000; n += 1000) {
        await client.query(`EXECUTE s0(${batch(n, 1000, n < 20_000 ? 1 : 10)})`);
      }
      const room0 = await client.query<{ seq: string }>("SELECT seq FROM rooms WHERE name = 'room0'");
      expect(Number(room0.rows[0]?.seq)).toBe(21_800);

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
      await client.end();
      await db.close();
    }
  });
});
