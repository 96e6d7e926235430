/**
 * The copy itself: every user, room and message of the SQLite snapshot into
 * PostgreSQL, in batches of BATCH rows (one multi-row INSERT over unnest()
 * arrays each, one round trip), all of it in ONE transaction.
 *
 * Why one transaction rather than committed batches with a marker at the end:
 * - a move that fails half-way (the network, a full disk, a kill, a value
 *   PostgreSQL cannot hold) leaves the target exactly as empty as it was, so
 *   the operator fixes the cause and runs the same command again; committed
 *   batches would leave a half chat that the next run must refuse (it is not
 *   empty) or know how to resume;
 * - servers started too early see either nothing or everything, never a room
 *   whose seq is ahead of its messages;
 * - the emptiness check and the copy hold one lock, so nothing can slip in
 *   between them;
 * - the check of the copy (move-verify.ts) runs before the commit, inside the
 *   same transaction, so a copy that does not match is never committed.
 * PostgreSQL has no limit on a transaction's size that a chat reaches (its
 * rows go to the WAL as they are written; the commit is one fsync), and the
 * batches keep this process's memory bounded.
 */
import type pg from 'pg';

import type { MessageKey, MessageRow, RoomRow, SqliteSource, UserRow } from './move-source.js';
import { FIRST_MESSAGE } from './move-source.js';
import { isJsonText, storable, storedText, targetNameKey } from './move-values.js';

export const BATCH = 5000;

export interface Counts {
  users: number;
  rooms: number;
  messages: number;
}

/** The target already holds a chat: nothing was written. */
export class TargetNotEmpty extends Error {
  constructor(readonly held: Counts) {
    super(
      `the target database already holds ${held.users} users, ${held.rooms} rooms and ${held.messages} messages: ` +
        'the move only writes into an empty database (nothing was written)',
    );
  }
}

const INSERT_USERS = `INSERT INTO users (id, name, name_key, token_hash, expires_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[])`;

const INSERT_ROOMS = `INSERT INTO rooms (name, epoch, seq, touched_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[])`;

// rev = seq: the move copies each message's current text, not its changes (issue 14 left the move as it was).
const INSERT_MESSAGES = `INSERT INTO messages (room, seq, ts, client_id, user_id, user_name, text, text_json, rev)
SELECT t.*, t.seq FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::boolean[])
  AS t(room, seq, ts, client_id, user_id, user_name, text, text_json)`;

function userValues(rows: readonly UserRow[]): unknown[] {
  return [
    rows.map((u) => u.id),
    rows.map((u) => storable(u.name, () => `the name of user ${u.id}`)),
    rows.map((u) => targetNameKey(u.name_key)),
    rows.map((u) => u.token_hash),
    rows.map((u) => u.expires_at),
  ];
}

function roomValues(rows: readonly RoomRow[]): unknown[] {
  return [
    rows.map((r) => r.name),
    rows.map((r) => r.epoch),
    rows.map((r) => r.seq),
    rows.map((r) => r.touched_at),
  ];
}

function messageValues(rows: readonly MessageRow[]): unknown[] {
  return [
    rows.map((m) => m.room),
    rows.map((m) => m.seq),
    rows.map((m) => m.ts),
    rows.map((m) => m.client_id),
    rows.map((m) => m.user_id),
    rows.map((m) => storable(m.user_name, () => `the sender name of message ${m.room}:${m.seq}`)),
    rows.map((m) => storedText(m.text)),
    rows.map((m) => isJsonText(m.text)),
  ];
}

/** What the target holds, read under the transaction's lock. */
async function held(client: pg.PoolClient): Promise<Counts> {
  const { rows } = await client.query<Counts>(
    'SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM rooms) AS rooms, ' +
      '(SELECT count(*) FROM messages) AS messages',
  );
  return rows[0] as Counts;
}

/**
 * Copies `source` into the (migrated) database behind `pool`; `say` gets the
 * progress lines. `check` then looks at the copy from inside the
 * transaction: the copy is committed only if it says yes. Throws
 * TargetNotEmpty, or whatever failed; then, as after a no, the transaction is
 * rolled back and the target is unchanged.
 */
export async function copyAll(
  source: SqliteSource,
  pool: pg.Pool,
  say: (line: string) => void,
  check: (client: pg.PoolClient) => Promise<boolean>,
): Promise<{ counts: Counts; committed: boolean }> {
  const started = performance.now();
  const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // A server started against the target too early waits for the move
    // (or the move waits for it, at most 10 s) instead of writing beside it.
    await client.query("SET LOCAL lock_timeout = '10s'");
    await client.query('LOCK TABLE users, rooms, messages IN ACCESS EXCLUSIVE MODE');
    const there = await held(client);
    if (there.users + there.rooms + there.messages > 0) throw new TargetNotEmpty(there);

    source.begin();
    const total = source.counts();
    say(`source: ${fmt(total.users)} users, ${fmt(total.rooms)} rooms, ${fmt(total.messages)} messages`);

    const users = await copyKeyed(
      (after: string) => source.users(after, BATCH),
      (u) => u.id,
      '',
      (rows) => client.query(INSERT_USERS, userValues(rows)),
    );
    say(`users: ${fmt(users)} copied (${elapsed()})`);

    const rooms = await copyKeyed(
      (after: string) => source.rooms(after, BATCH),
      (r) => r.name,
      '',
      (rows) => client.query(INSERT_ROOMS, roomValues(rows)),
    );
    say(`rooms: ${fmt(rooms)} copied (${elapsed()})`);

    let lastSaid = performance.now();
    let messages = 0;
    let said = -1;
    const progress = () => {
      said = messages;
      say(
        `messages: ${fmt(messages)} of ${fmt(total.messages)} (${pct(messages, total.messages)}), ${elapsed()}`,
      );
    };
    await copyKeyed(
      (after: MessageKey) => source.messages(after, BATCH),
      (m) => ({ room: m.room, seq: m.seq }),
      FIRST_MESSAGE,
      async (rows) => {
        await client.query(INSERT_MESSAGES, messageValues(rows));
        messages += rows.length;
        // One line a second at most: a big chat should not scroll the screen away.
        if (performance.now() - lastSaid >= 1000) {
          lastSaid = performance.now();
          progress();
        }
      },
    );
    if (said !== messages) progress();
    source.end();
    const counts = { users, rooms, messages };
    say(`copied in ${elapsed()}; verifying before the commit: reading both databases back`);
    if (!(await check(client))) {
      await client.query('ROLLBACK');
      return { counts, committed: false };
    }
    await client.query('COMMIT');
    say(`committed: ${fmt(users)} users, ${fmt(rooms)} rooms, ${fmt(messages)} messages in ${elapsed()}`);
    return { counts, committed: true };
  } catch (error) {
    source.end();
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Reads batches after the last key until one comes back empty, writing each;
 * the next batch is read from SQLite while the previous one is on its way to
 * PostgreSQL, so neither side waits for the other.
 */
async function copyKeyed<Row, Key>(
  read: (after: Key) => Row[],
  keyOf: (row: Row) => Key,
  first: Key,
  write: (rows: Row[]) => Promise<unknown>,
): Promise<number> {
  let copied = 0;
  let batch = read(first);
  while (batch.length > 0) {
    const writing = write(batch);
    let next: Row[];
    try {
      next = batch.length < BATCH ? [] : read(keyOf(batch[batch.length - 1] as Row));
    } catch (error) {
      // Settle the write first: a rejection nobody awaits would end the process.
      await writing.catch(() => undefined);
      throw error;
    }
    await writing;
    copied += batch.length;
    batch = next;
  }
  return copied;
}

export const fmt = (n: number): string => n.toLocaleString('en-US');

const pct = (n: number, of: number): string => (of === 0 ? '100 %' : `${Math.floor((100 * n) / of)} %`);
