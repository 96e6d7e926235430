/**
 * The PostgreSQL schema as numbered migrations, the same mechanism as
 * SQLite's (sqlite/schema.ts): applied in order at start, recorded (here in
 * the `tether_schema` table), forward only; a database newer than this code
 * refuses to be used rather than be misread.
 *
 * Several server processes start at once against one database: the
 * migrations run in one transaction under an advisory lock, so one process
 * applies them and the others find them done.
 */
import type pg from 'pg';

import { CHANGES_MIGRATION } from './changes-sql.js';

/** A migration: SQL, or a step that needs code (run in the same transaction). */
export type Migration = string | ((client: pg.PoolClient) => Promise<void>);

export const MIGRATIONS: readonly Migration[] = [
  // 1: users, rooms (names compared by bytes, as on SQLite), messages with
  // the (user, id) idempotency index that is kept forever.
  `
CREATE TABLE users (
  id         text PRIMARY KEY,
  name       text NOT NULL,
  name_key   text NOT NULL UNIQUE,
  token_hash text NOT NULL UNIQUE,
  expires_at bigint NOT NULL
);
CREATE INDEX users_by_expiry ON users (expires_at);
CREATE TABLE rooms (
  name       text COLLATE "C" PRIMARY KEY,
  epoch      text NOT NULL,
  seq        bigint NOT NULL,
  touched_at bigint NOT NULL DEFAULT 0
);
CREATE TABLE messages (
  room      text COLLATE "C" NOT NULL,
  seq       bigint NOT NULL,
  ts        bigint NOT NULL,
  client_id text NOT NULL,
  user_id   text NOT NULL,
  user_name text NOT NULL,
  text      text NOT NULL,
  -- PostgreSQL text cannot hold U+0000, which a message may: such a text is
  -- stored as its JSON string literal, and this says so.
  text_json boolean NOT NULL DEFAULT false,
  PRIMARY KEY (room, seq)
);
CREATE UNIQUE INDEX messages_by_sender_id ON messages (user_id, client_id);
CREATE INDEX messages_by_time ON messages (ts);
`,
  // 2: changing messages (issue 14): rev (indexed per room, so a resume by
  // rev costs what one by seq did), edited, deleted, reply_to; reactions;
  // the (user, id) keys of changes; the functions that apply and read them.
  CHANGES_MIGRATION,
  // 3: no (room, rev) index. A resume by rev finds the older messages changed
  // since through the change events (changes_by_event), as `events` does;
  // and with room leading two indexes of messages, a lookup by (room, seq)
  // was planned on this one from statistics older than the room, walking
  // the room for every row (a resume of 100 rows took 1.4 s). New messages
  // no longer pay for it either.
  'DROP INDEX messages_by_rev',
];

/** The version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Any fixed number: the advisory lock every process takes to migrate. */
const MIGRATION_LOCK = 0x7e7e_0001;

/** Brings the database up to SCHEMA_VERSION; returns the version it found. */
export async function migrate(pool: pg.Pool): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS tether_schema (version integer NOT NULL)');
    const { rows } = await client.query<{ version: number }>('SELECT version FROM tether_schema');
    const found = rows[0]?.version ?? 0;
    if (found > SCHEMA_VERSION) {
      throw new Error(
        `the database is at schema version ${found}, newer than this server's ${SCHEMA_VERSION}: run a newer Tether`,
      );
    }
    for (let version = found + 1; version <= SCHEMA_VERSION; version++) {
      const migration = MIGRATIONS[version - 1] as Migration;
      if (typeof migration === 'string') await client.query(migration);
      else await migration(client);
    }
    if (found < SCHEMA_VERSION) {
      if (rows.length === 0)
        await client.query('INSERT INTO tether_schema (version) VALUES ($1)', [SCHEMA_VERSION]);
      else await client.query('UPDATE tether_schema SET version = $1', [SCHEMA_VERSION]);
    }
    await client.query('COMMIT');
    return found;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
