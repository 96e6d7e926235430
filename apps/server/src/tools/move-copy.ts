/**
 * The copy itself: every user, room, message, reaction and change key of
 * the SQLite snapshot into PostgreSQL, in batches of BATCH rows (one
 * multi-row INSERT over unnest() arrays each, one round trip), all of it in
 * ONE transaction.
 *
 * The two schemas hold a chat the same way (PostgreSQL's migration 2 mirrors
 * SQLite's 4), so each row goes over as it is and the servers on PostgreSQL
 * carry on where the SQLite server stopped:
 * - a message in its current state: text, `rev` (the seq of the event that
 *   last changed it: a resume by `since` finds it), edit time, tombstone,
 *   `reply_to`;
 * - reactions with their `ord` (the seq of the event that added each: the
 *   order of emoji and users in answers);
 * - `changes`, the (user, id) of every change answered with an ack, with
 *   that ack (room, seq, ts): a resent edit, delete or react gets it back
 *   and changes nothing; those that were events name the seq they took, so
 *   a resume reads them as updates;
 * - each room's seq, the last event's, from which the PostgreSQL servers
 *   number the next send or change (rooms.seq is the only counter they use).
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

import type {
  ChangeKey,
  ChangeRow,
  MessageKey,
  MessageRow,
  ReactionKey,
  ReactionRow,
  RoomRow,
  SqliteSource,
  UserRow,
} from './move-source.js';
import { FIRST_CHANGE, FIRST_MESSAGE, FIRST_REACTION } from './move-source.js';
import { isJsonText, storable, storedText, targetNameKey } from './move-values.js';

export const BATCH = 5000;

export interface Counts {
  users: number;
  rooms: number;
  messages: number;
  reactions: number;
  changes: number;
}

export const COUNTED = ['users', 'rooms', 'messages', 'reactions', 'changes'] as const;

/** The target already holds a chat: nothing was written. */
export class TargetNotEmpty extends Error {
  constructor(readonly held: Counts) {
    super(
      `the target database already holds ${held.users} users, ${held.rooms} rooms, ${held.messages} messages, ` +
        `${held.reactions} reactions and ${held.changes} change keys: ` +
        'the move only writes into an empty database (nothing was written)',
    );
  }
}

const INSERT_USERS = `INSERT INTO users (id, name, name_key, token_hash, expires_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[])`;

const INSERT_ROOMS = `INSERT INTO rooms (name, epoch, seq, touched_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[])`;

const INSERT_MESSAGES = `INSERT INTO messages
  (room, seq, ts, client_id, user_id, user_name, text, text_json, rev, edited, deleted, reply_to)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[],
  $8::boolean[], $9::bigint[], $10::bigint[], $11::boolean[], $12::bigint[])`;

const INSERT_REACTIONS = `INSERT INTO reactions (room, seq, emoji, user_id, ord)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::bigint[])`;

const INSERT_CHANGES = `INSERT INTO changes (user_id, client_id, room, seq, ts, target, event)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::boolean[])`;

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
    rows.map((m) => m.rev),
    rows.map((m) => m.edited),
    rows.map((m) => Boolean(m.deleted)),
    rows.map((m) => m.reply_to),
  ];
}

function reactionValues(rows: readonly ReactionRow[]): unknown[] {
  return [
    rows.map((r) => r.room),
    rows.map((r) => r.seq),
    rows.map((r) => storable(r.emoji, () => `a reaction of ${r.user_id} on message ${r.room}:${r.seq}`)),
    rows.map((r) => r.user_id),
    rows.map((r) => r.ord),
  ];
}

function changeValues(rows: readonly ChangeRow[]): unknown[] {
  return [
    rows.map((c) => c.user_id),
    rows.map((c) => storable(c.client_id, () => `the id of a change of user ${c.user_id}`)),
    rows.map((c) => c.room),
    rows.map((c) => c.seq),
    rows.map((c) => c.ts),
    rows.map((c) => c.target),
    rows.map((c) => Boolean(c.event)),
  ];
}

/** What the target holds, read under the transaction's lock. */
async function held(client: pg.PoolClient): Promise<Counts> {
  const { rows } = await client.query<Counts>(
    'SELECT (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM rooms)::int AS rooms, ' +
      '(SELECT count(*) FROM messages)::int AS messages, (SELECT count(*) FROM reactions)::int AS reactions, ' +
      '(SELECT count(*) FROM changes)::int AS changes',
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
    await client.query('LOCK TABLE users, rooms, messages, reactions, changes IN ACCESS EXCLUSIVE MODE');
    const there = await held(client);
    if (COUNTED.some((what) => there[what] > 0)) throw new TargetNotEmpty(there);

    source.begin();
    const total = source.counts();
    const changed = source.changed();
    say(
      `source: ${fmt(total.users)} users, ${fmt(total.rooms)} rooms, ${fmt(total.messages)} messages ` +
        `(${fmt(changed.edited)} edited, ${fmt(changed.deleted)} deleted, ${fmt(changed.replies)} replies), ` +
        `${fmt(total.reactions)} reactions, ${fmt(total.changes)} change keys`,
    );

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

    const reactions = await copyKeyed(
      (after: ReactionKey) => source.reactions(after, BATCH),
      (r): ReactionKey => ({ room: r.room, seq: r.seq, emoji: r.emoji, user_id: r.user_id }),
      FIRST_REACTION,
      (rows) => client.query(INSERT_REACTIONS, reactionValues(rows)),
    );
    say(`reactions: ${fmt(reactions)} copied (${elapsed()})`);

    const changes = await copyKeyed(
      (after: ChangeKey) => source.changes(after, BATCH),
      (c): ChangeKey => ({ user_id: c.user_id, client_id: c.client_id }),
      FIRST_CHANGE,
      (rows) => client.query(INSERT_CHANGES, changeValues(rows)),
    );
    say(`change keys: ${fmt(changes)} copied (${elapsed()})`);
    source.end();
    const counts = { users, rooms, messages, reactions, changes };
    say(`copied in ${elapsed()}; verifying before the commit: reading both databases back`);
    if (!(await check(client))) {
      await client.query('ROLLBACK');
      return { counts, committed: false };
    }
    await client.query('COMMIT');
    say(
      `committed: ${fmt(users)} users, ${fmt(rooms)} rooms, ${fmt(messages)} messages, ` +
        `${fmt(reactions)} reactions, ${fmt(changes)} change keys in ${elapsed()}`,
    );
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
