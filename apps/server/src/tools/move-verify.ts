/**
 * The check after a move: both databases read back in full and compared as
 * the servers will see them. Counts of users, rooms and messages; a checksum
 * of every user (id, name, name key, token hash, expiry); per room its epoch,
 * seq, message count and a checksum: SHA-256 over every message's (seq, ts,
 * client id, sender id, sender name, text) in seq order, computed here in the
 * same way from the rows each database gives back (PostgreSQL's JSON-stored
 * texts decoded first), so a value either side stored differently shows.
 */
import { createHash, type Hash } from 'node:crypto';

import type pg from 'pg';

import { BATCH, fmt, type Counts } from './move-copy.js';
import type { MessageRow, RoomRow, SqliteSource, UserRow } from './move-source.js';
import { FIRST_MESSAGE } from './move-source.js';
import { targetNameKey } from './move-values.js';

export interface RoomSide {
  epoch: string;
  seq: number;
  messages: number;
  checksum: string;
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
  rooms: Map<string, RoomSide>;
}

export interface VerifyReport {
  sqlite: Side;
  postgres: Side;
  rooms: RoomCheck[];
  /** One line per difference; empty when the move is exact. */
  mismatches: string[];
}

/** A room's checksum while its messages stream by. */
class RoomDigest {
  private readonly hash: Hash = createHash('sha256');
  messages = 0;

  add(m: MessageRow): void {
    // JSON keeps the fields apart whatever they hold.
    this.hash.update(`${JSON.stringify([m.seq, m.ts, m.client_id, m.user_id, m.user_name, m.text])}\n`);
    this.messages += 1;
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

const userLine = (u: UserRow): string =>
  `${JSON.stringify([u.id, u.name, targetNameKey(u.name_key), u.token_hash, u.expires_at])}\n`;

function side(users: Hash, userCount: number, rooms: RoomRow[], digests: Map<string, RoomDigest>): Side {
  const byRoom = new Map<string, RoomSide>();
  let messages = 0;
  for (const room of rooms) {
    const digest = digests.get(room.name) ?? new RoomDigest();
    messages += digest.messages;
    byRoom.set(room.name, {
      epoch: room.epoch,
      seq: room.seq,
      messages: digest.messages,
      checksum: digest.digest(),
    });
  }
  // Messages of a room that has no row would be a broken database; count them so the totals show it.
  for (const [name, digest] of digests) {
    if (!byRoom.has(name)) messages += digest.messages;
  }
  return {
    counts: { users: userCount, rooms: rooms.length, messages },
    usersChecksum: users.digest('hex'),
    rooms: byRoom,
  };
}

/** Reads the SQLite side in keyed batches, in one read transaction. */
export function readSqliteSide(source: SqliteSource): Side {
  source.begin();
  try {
    const users = createHash('sha256');
    let userCount = 0;
    for (let batch = source.users('', BATCH); batch.length > 0;) {
      for (const u of batch) users.update(userLine(u));
      userCount += batch.length;
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
    return side(users, userCount, rooms, digests);
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
  const users = createHash('sha256');
  let userCount = 0;
  await fetchAll(
    client,
    'SELECT id, name, name_key, token_hash, expires_at FROM users ORDER BY id COLLATE "C"',
    (row) => {
      // The key is stored mapped already; mapping again changes nothing.
      users.update(userLine(row as UserRow));
      userCount += 1;
    },
  );
  const rooms: RoomRow[] = [];
  await fetchAll(client, 'SELECT name, epoch, seq, touched_at FROM rooms ORDER BY name', (row) => {
    rooms.push(row as RoomRow);
  });
  const digests = new Map<string, RoomDigest>();
  await fetchAll(
    client,
    'SELECT room, seq, ts, client_id, user_id, user_name, text, text_json FROM messages ORDER BY room, seq',
    (row) => {
      const m = row as PgMessageRow;
      digestOf(digests, m.room).add(m.text_json ? { ...m, text: JSON.parse(m.text) as string } : m);
    },
  );
  return side(users, userCount, rooms, digests);
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
  for (const what of ['users', 'rooms', 'messages'] as const) {
    if (sqlite.counts[what] !== postgres.counts[what]) {
      mismatches.push(`${what}: ${sqlite.counts[what]} in SQLite, ${postgres.counts[what]} in PostgreSQL`);
    }
  }
  if (sqlite.usersChecksum !== postgres.usersChecksum) {
    mismatches.push('users: the checksum differs (a name, key, token hash or expiry was not copied exactly)');
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

/** Rooms listed one by one in the summary; beyond this only those that differ. */
const ROOMS_SHOWN = 50;

/** The summary table, as lines. */
export function formatReport(report: VerifyReport): string[] {
  const short = (checksum: string | undefined) => (checksum === undefined ? '-' : checksum.slice(0, 16));
  const table: string[][] = [['', 'SQLite', 'PostgreSQL', '']];
  for (const what of ['users', 'rooms', 'messages'] as const) {
    const a = report.sqlite.counts[what];
    const b = report.postgres.counts[what];
    table.push([what, fmt(a), fmt(b), a === b ? 'ok' : 'DIFFERS']);
  }
  const [ua, ub] = [report.sqlite.usersChecksum, report.postgres.usersChecksum];
  table.push(['users checksum', short(ua), short(ub), ua === ub ? 'ok' : 'DIFFERS']);
  const lines = columns(table);
  lines.push('');
  const rooms: string[][] = [
    ['room', 'epoch', 'seq', 'messages', 'sha256 (SQLite)', 'sha256 (PostgreSQL)', ''],
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
