/**
 * The check after a move: both databases read back in full and compared as
 * the servers will see them. Counts of users, rooms, messages, reactions and
 * change keys; a checksum of every user (id, name, name key, token hash,
 * expiry) and of every change key (user, id, and the ack it answers: room,
 * seq, ts, target, whether it was an event); per room its epoch, seq,
 * message and reaction counts and two checksums: SHA-256 over every
 * message's (seq, ts, client id, sender id, sender name, text, rev, edit
 * time, tombstone, reply) in seq order, and over every reaction's (seq,
 * emoji, user, ord) in key order. Each is computed here in the same way from
 * the rows each database gives back (PostgreSQL's JSON-stored texts decoded
 * first, SQLite's 0/1 read as booleans), so a value either side stored
 * differently shows.
 */
import { createHash, type Hash } from 'node:crypto';

import type pg from 'pg';

import { BATCH, COUNTED, fmt, type Counts } from './move-copy.js';
import type { ChangeRow, MessageRow, ReactionRow, RoomRow, SqliteSource, UserRow } from './move-source.js';
import { FIRST_CHANGE, FIRST_MESSAGE, FIRST_REACTION } from './move-source.js';
import { targetNameKey } from './move-values.js';

export interface RoomSide {
  epoch: string;
  seq: number;
  messages: number;
  /** Of its messages. */
  checksum: string;
  reactions: number;
  reactionsChecksum: string;
}

export interface RoomCheck {
  room: string;
  sqlite: RoomSide | undefined;
  postgres: RoomSide | undefined;
  ok: boolean;
}

export interface Side {
  counts: Counts;
  usersChecksum: string;
  changesChecksum: string;
  rooms: Map<string, RoomSide>;
}

export interface VerifyReport {
  sqlite: Side;
  postgres: Side;
  rooms: RoomCheck[];
  /** One line per difference; empty when the move is exact. */
  mismatches: string[];
}

/** A room's checksums while its messages, then its reactions, stream by. */
class RoomDigest {
  private readonly hash: Hash = createHash('sha256');
  private readonly reactionHash: Hash = createHash('sha256');
  messages = 0;
  reactions = 0;

  add(m: MessageRow): void {
    // JSON keeps the fields apart whatever they hold.
    const changed = [m.rev, m.edited, Boolean(m.deleted), m.reply_to];
    this.hash.update(
      `${JSON.stringify([m.seq, m.ts, m.client_id, m.user_id, m.user_name, m.text, ...changed])}\n`,
    );
    this.messages += 1;
  }

  addReaction(r: ReactionRow): void {
    this.reactionHash.update(`${JSON.stringify([r.seq, r.emoji, r.user_id, r.ord])}\n`);
    this.reactions += 1;
  }

  digest(): string {
    return this.hash.digest('hex');
  }

  reactionsDigest(): string {
    return this.reactionHash.digest('hex');
  }
}

const userLine = (u: UserRow): string =>
  `${JSON.stringify([u.id, u.name, targetNameKey(u.name_key), u.token_hash, u.expires_at])}\n`;

const changeLine = (c: ChangeRow): string =>
  `${JSON.stringify([c.user_id, c.client_id, c.room, c.seq, c.ts, c.target, Boolean(c.event)])}\n`;

/** A checksum of rows as they stream by, and how many. */
class Tally {
  private readonly hash: Hash = createHash('sha256');
  count = 0;

  add(line: string): void {
    this.hash.update(line);
    this.count += 1;
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

function side(users: Tally, changes: Tally, rooms: RoomRow[], digests: Map<string, RoomDigest>): Side {
  const byRoom = new Map<string, RoomSide>();
  let messages = 0;
  let reactions = 0;
  for (const room of rooms) {
    const digest = digests.get(room.name) ?? new RoomDigest();
    messages += digest.messages;
    reactions += digest.reactions;
    byRoom.set(room.name, {
      epoch: room.epoch,
      seq: room.seq,
      messages: digest.messages,
      checksum: digest.digest(),
      reactions: digest.reactions,
      reactionsChecksum: digest.reactionsDigest(),
    });
  }
  // Rows of a room that has no row would be a broken database; count them so the totals show it.
  for (const [name, digest] of digests) {
    if (byRoom.has(name)) continue;
    messages += digest.messages;
    reactions += digest.reactions;
  }
  return {
    counts: { users: users.count, rooms: rooms.length, messages, reactions, changes: changes.count },
    usersChecksum: users.digest(),
    changesChecksum: changes.digest(),
    rooms: byRoom,
  };
}

/** Reads the SQLite side in keyed batches, in one read transaction. */
export function readSqliteSide(source: SqliteSource): Side {
  source.begin();
  try {
    const users = new Tally();
    for (let batch = source.users('', BATCH); batch.length > 0;) {
      for (const u of batch) users.add(userLine(u));
      batch = batch.length < BATCH ? [] : source.users((batch[batch.length - 1] as UserRow).id, BATCH);
    }
    const rooms: RoomRow[] = [];
    for (let batch = source.rooms('', BATCH); batch.length > 0;) {
      rooms.push(...batch);
      batch = batch.length < BATCH ? [] : source.rooms((batch[batch.length - 1] as RoomRow).name, BATCH);
    }
    const digests = new Map<string, RoomDigest>();
    for (let batch = source.messages(FIRST_MESSAGE, BATCH); batch.length > 0;) {
      for (const m of batch) digestOf(digests, m.room).add(m);
      const last = batch[batch.length - 1] as MessageRow;
      batch = batch.length < BATCH ? [] : source.messages({ room: last.room, seq: last.seq }, BATCH);
    }
    for (let batch = source.reactions(FIRST_REACTION, BATCH); batch.length > 0;) {
      for (const r of batch) digestOf(digests, r.room).addReaction(r);
      const last = batch[batch.length - 1] as ReactionRow;
      batch = batch.length < BATCH ? [] : source.reactions(last, BATCH);
    }
    const changes = new Tally();
    for (let batch = source.changes(FIRST_CHANGE, BATCH); batch.length > 0;) {
      for (const c of batch) changes.add(changeLine(c));
      batch = batch.length < BATCH ? [] : source.changes(batch[batch.length - 1] as ChangeRow, BATCH);
    }
    return side(users, changes, rooms, digests);
  } finally {
    source.end();
  }
}

function digestOf(digests: Map<string, RoomDigest>, room: string): RoomDigest {
  let digest = digests.get(room);
  if (!digest) {
    digest = new RoomDigest();
    digests.set(room, digest);
  }
  return digest;
}

interface PgMessageRow extends MessageRow {
  text_json: boolean;
}

/**
 * Reads the PostgreSQL side through cursors: each table is sorted once (by
 * bytes, as SQLite sorts) and fetched in batches. `client` is in a
 * transaction already: the move's own (which sees the rows it wrote), or a
 * read-only snapshot (verifyMove).
 */
async function readPostgresSide(client: pg.PoolClient): Promise<Side> {
  const users = new Tally();
  await fetchAll(
    client,
    'SELECT id, name, name_key, token_hash, expires_at FROM users ORDER BY id COLLATE "C"',
    (row) => {
      // The key is stored mapped already; mapping again changes nothing.
      users.add(userLine(row as UserRow));
    },
  );
  const rooms: RoomRow[] = [];
  await fetchAll(client, 'SELECT name, epoch, seq, touched_at FROM rooms ORDER BY name', (row) => {
    rooms.push(row as RoomRow);
  });
  const digests = new Map<string, RoomDigest>();
  await fetchAll(
    client,
    'SELECT room, seq, ts, client_id, user_id, user_name, text, text_json, rev, edited, deleted, reply_to ' +
      'FROM messages ORDER BY room, seq',
    (row) => {
      const m = row as PgMessageRow;
      digestOf(digests, m.room).add(m.text_json ? { ...m, text: JSON.parse(m.text) as string } : m);
    },
  );
  // Every reaction, of a tombstone or of no message too: the copy writes none of those, so any shows.
  await fetchAll(
    client,
    'SELECT room, seq, emoji, user_id, ord FROM reactions ORDER BY room, seq, emoji COLLATE "C", user_id COLLATE "C"',
    (row) => {
      const r = row as ReactionRow;
      digestOf(digests, r.room).addReaction(r);
    },
  );
  const changes = new Tally();
  await fetchAll(
    client,
    'SELECT user_id, client_id, room, seq, ts, target, event FROM changes ' +
      'ORDER BY user_id COLLATE "C", client_id COLLATE "C"',
    (row) => {
      changes.add(changeLine(row as ChangeRow));
    },
  );
  return side(users, changes, rooms, digests);
}

/** Calls `each` with every row of `select`; the caller knows the rows' shape from its SELECT. */
async function fetchAll(
  client: pg.PoolClient,
  select: string,
  each: (row: pg.QueryResultRow) => void,
): Promise<void> {
  await client.query(`DECLARE move_check NO SCROLL CURSOR FOR ${select}`);
  for (;;) {
    const { rows } = await client.query<pg.QueryResultRow>(`FETCH ${BATCH} FROM move_check`);
    for (const row of rows) each(row);
    if (rows.length < BATCH) break;
  }
  await client.query('CLOSE move_check');
}

/** Compares the two sides; every difference is one line of `mismatches`. */
export function compare(sqlite: Side, postgres: Side): VerifyReport {
  const mismatches: string[] = [];
  for (const what of COUNTED) {
    if (sqlite.counts[what] !== postgres.counts[what]) {
      mismatches.push(
        `${LABEL[what]}: ${sqlite.counts[what]} in SQLite, ${postgres.counts[what]} in PostgreSQL`,
      );
    }
  }
  if (sqlite.usersChecksum !== postgres.usersChecksum) {
    mismatches.push('users: the checksum differs (a name, key, token hash or expiry was not copied exactly)');
  }
  if (sqlite.changesChecksum !== postgres.changesChecksum) {
    mismatches.push(
      'change keys: the checksum differs (a key or the ack a resend gets back was not copied exactly)',
    );
  }
  const names = [...new Set([...sqlite.rooms.keys(), ...postgres.rooms.keys()])].sort();
  const rooms: RoomCheck[] = names.map((room) => {
    const a = sqlite.rooms.get(room);
    const b = postgres.rooms.get(room);
    const problems: string[] = [];
    if (!a) problems.push('only in PostgreSQL');
    else if (!b) problems.push('missing in PostgreSQL');
    else {
      if (a.epoch !== b.epoch) problems.push(`epoch ${a.epoch} became ${b.epoch}`);
      if (a.seq !== b.seq) problems.push(`seq ${a.seq} became ${b.seq}`);
      if (a.messages !== b.messages) problems.push(`${a.messages} messages became ${b.messages}`);
      if (a.checksum !== b.checksum) problems.push('the checksum of its messages differs');
      if (a.reactions !== b.reactions) problems.push(`${a.reactions} reactions became ${b.reactions}`);
      if (a.reactionsChecksum !== b.reactionsChecksum) problems.push('the checksum of its reactions differs');
    }
    for (const problem of problems) mismatches.push(`room ${room}: ${problem}`);
    return { room, sqlite: a, postgres: b, ok: problems.length === 0 };
  });
  return { sqlite, postgres, rooms, mismatches };
}

/**
 * Reads both back and compares them, inside the move's transaction, before
 * it commits: what does not match is never committed. SQLite is read in a
 * new snapshot, so a server still writing to the file shows as a difference.
 */
export async function verifyInTransaction(
  source: SqliteSource,
  client: pg.PoolClient,
): Promise<VerifyReport> {
  const postgres = await readPostgresSide(client);
  return compare(readSqliteSide(source), postgres);
}

/** The same check on its own, against what the database behind `pool` holds now. */
export async function verifyMove(source: SqliteSource, pool: pg.Pool): Promise<VerifyReport> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const postgres = await readPostgresSide(client);
    await client.query('COMMIT');
    return compare(readSqliteSide(source), postgres);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** How the counts are named in the report. */
const LABEL: Record<(typeof COUNTED)[number], string> = {
  users: 'users',
  rooms: 'rooms',
  messages: 'messages',
  reactions: 'reactions',
  changes: 'change keys',
};

/** Rooms listed one by one in the summary; beyond this only those that differ. */
const ROOMS_SHOWN = 50;

/** The summary table, as lines. */
export function formatReport(report: VerifyReport): string[] {
  const short = (checksum: string | undefined) => (checksum === undefined ? '-' : checksum.slice(0, 16));
  const table: string[][] = [['', 'SQLite', 'PostgreSQL', '']];
  for (const what of COUNTED) {
    const a = report.sqlite.counts[what];
    const b = report.postgres.counts[what];
    table.push([LABEL[what], fmt(a), fmt(b), a === b ? 'ok' : 'DIFFERS']);
  }
  const [ua, ub] = [report.sqlite.usersChecksum, report.postgres.usersChecksum];
  table.push(['users checksum', short(ua), short(ub), ua === ub ? 'ok' : 'DIFFERS']);
  const [ca, cb] = [report.sqlite.changesChecksum, report.postgres.changesChecksum];
  table.push(['change keys checksum', short(ca), short(cb), ca === cb ? 'ok' : 'DIFFERS']);
  const lines = columns(table);
  lines.push('');
  const rooms: string[][] = [
    ['room', 'epoch', 'seq', 'messages', 'reactions', 'sha256 (SQLite)', 'sha256 (PostgreSQL)', ''],
  ];
  const shown = report.rooms.length <= ROOMS_SHOWN ? report.rooms : report.rooms.filter((r) => !r.ok);
  for (const r of shown) {
    const a = r.sqlite;
    const b = r.postgres;
    const pair = (x: string | undefined, y: string | undefined) =>
      x === y ? (x ?? '-') : `${x ?? '-'} → ${y ?? '-'}`;
    rooms.push([
      r.room,
      pair(a?.epoch, b?.epoch),
      pair(a === undefined ? undefined : fmt(a.seq), b === undefined ? undefined : fmt(b.seq)),
      pair(a === undefined ? undefined : fmt(a.messages), b === undefined ? undefined : fmt(b.messages)),
      pair(a === undefined ? undefined : fmt(a.reactions), b === undefined ? undefined : fmt(b.reactions)),
      short(a?.checksum),
      short(b?.checksum),
      r.ok ? 'ok' : 'DIFFERS',
    ]);
  }
  if (shown.length > 0) lines.push(...columns(rooms));
  if (shown.length < report.rooms.length) {
    lines.push(`(${fmt(report.rooms.length - shown.length)} more rooms, all equal)`);
  }
  return lines;
}

function columns(rows: string[][]): string[] {
  const widths = (rows[0] as string[]).map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return rows.map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd(),
  );
}
