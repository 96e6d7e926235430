/**
 * The SQLite schema as numbered migrations, applied in order at start in one
 * transaction each and recorded in `PRAGMA user_version`. Forward only: a
 * database newer than this code refuses to open rather than be misread.
 *
 * Migration 1 is the schema as it stood before migrations were numbered
 * (every statement `IF NOT EXISTS`), so a database made then starts at
 * version 0 and passes through it unchanged.
 */
import type Database from 'better-sqlite3';

export const MIGRATIONS: readonly string[] = [
  // 1: users, rooms, messages with the (user, id) idempotency index.
  `
CREATE TABLE IF NOT EXISTS users (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  name_key   TEXT NOT NULL UNIQUE,
  token_hash TEXT NOT NULL UNIQUE,
  expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS rooms (
  name  TEXT PRIMARY KEY,
  epoch TEXT NOT NULL,
  seq   INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
  room      TEXT NOT NULL,
  seq       INTEGER NOT NULL,
  ts        INTEGER NOT NULL,
  client_id TEXT NOT NULL,
  user_id   TEXT NOT NULL,
  user_name TEXT NOT NULL,
  text      TEXT NOT NULL,
  PRIMARY KEY (room, seq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS messages_by_sender_id ON messages (user_id, client_id);
CREATE TABLE IF NOT EXISTS probe (id INTEGER PRIMARY KEY, at INTEGER NOT NULL);
`,
  // 2: when a room was last joined (empty rooms nobody joins are swept), and
  // users by expiry (expired users are swept).
  `
ALTER TABLE rooms ADD COLUMN touched_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX users_by_expiry ON users (expires_at);
`,
];

/** The version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the database up to SCHEMA_VERSION; returns the version it found. */
export function migrate(db: Database.Database): number {
  const found = db.pragma('user_version', { simple: true }) as number;
  if (found > SCHEMA_VERSION) {
    throw new Error(
      `the database is at schema version ${found}, newer than this server's ${SCHEMA_VERSION}: run a newer Tether`,
    );
  }
  for (let version = found + 1; version <= SCHEMA_VERSION; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version - 1] as string);
      db.pragma(`user_version = ${version}`);
    })();
  }
  return found;
}
