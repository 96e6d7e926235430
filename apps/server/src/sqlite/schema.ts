/**
 * The SQLite schema as numbered migrations, applied in order at start in one
 * transaction each and recorded in `PRAGMA user_version`. Forward only: a
 * database newer than this code refuses to open rather than be misread.
 *
 * Migration 1 is the schema as it stood before migrations were numbered
 * (every statement `IF NOT EXISTS`), so a database made then starts at
 * version 0 and passes through it unchanged.
 */
import { nameKey } from '@tether/protocol';
import type Database from 'better-sqlite3';

/** A migration: SQL, or a step that needs code (run in the same transaction). */
export type Migration = string | ((db: Database.Database) => void);

export const MIGRATIONS: readonly Migration[] = [
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
  // 3: names are keyed with look-alikes folded (nameKey, UTS #39 skeleton).
  rekeyNames,
  // 4: changing messages (issue 14). `rev` is the seq of the last event that
  // changed a message, indexed per room so a resume by `rev > since` costs
  // what `seq > since` did. Reactions have their own rows; `changes` holds
  // the (user, id) of every change answered with an ack (the idempotency
  // keys, forever), and marks those that were events of the room.
  `
ALTER TABLE messages ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;
UPDATE messages SET rev = seq;
ALTER TABLE messages ADD COLUMN edited INTEGER;
ALTER TABLE messages ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN reply_to INTEGER;
CREATE INDEX messages_by_rev ON messages (room, rev);
CREATE TABLE reactions (
  room    TEXT NOT NULL,
  seq     INTEGER NOT NULL,
  emoji   TEXT NOT NULL,
  user_id TEXT NOT NULL,
  ord     INTEGER NOT NULL,
  PRIMARY KEY (room, seq, emoji, user_id)
) WITHOUT ROWID;
CREATE TABLE changes (
  user_id   TEXT NOT NULL,
  client_id TEXT NOT NULL,
  room      TEXT NOT NULL,
  seq       INTEGER NOT NULL,
  ts        INTEGER NOT NULL,
  target    INTEGER NOT NULL,
  event     INTEGER NOT NULL,
  PRIMARY KEY (user_id, client_id)
) WITHOUT ROWID;
CREATE INDEX changes_by_event ON changes (room, seq) WHERE event = 1;
`,
];

/**
 * Recomputes every user's name key. Two names that were apart and now share
 * a key (an "аlice" registered beside an "alice") both stay with their
 * users, but only the one registered first holds the key; the later one's
 * key gets its id appended after a NUL, which no name can hold, so nobody
 * can take that key either, and its holder keeps the name until they pick
 * another.
 */
function rekeyNames(db: Database.Database): void {
  // Out of the way first: a new key may be another user's old one.
  db.exec('UPDATE users SET name_key = char(0) || id');
  const users = db
    .prepare<[], { id: string; name: string }>('SELECT id, name FROM users ORDER BY rowid')
    .all();
  const update = db.prepare<[string, string]>('UPDATE users SET name_key = ? WHERE id = ?');
  const held = new Set<string>();
  for (const user of users) {
    const key = nameKey(user.name);
    update.run(held.has(key) ? `${key}\u0000${user.id}` : key, user.id);
    held.add(key);
  }
}

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
    const migration = MIGRATIONS[version - 1] as Migration;
    db.transaction(() => {
      if (typeof migration === 'string') db.exec(migration);
      else migration(db);
      db.pragma(`user_version = ${version}`);
    })();
  }
  return found;
}
