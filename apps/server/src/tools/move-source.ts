/**
 * The SQLite side of a move: the file brought to the current schema (so a
 * database made by an older Tether moves too), then read on a read-only
 * connection, in keyed batches, inside one read transaction: WAL gives that
 * transaction one snapshot, so what is copied is one moment of the chat even
 * if something still wrote to the file.
 */
import Database from 'better-sqlite3';

import { migrate, SCHEMA_VERSION } from '../sqlite/schema.js';

export interface UserRow {
  id: string;
  name: string;
  name_key: string;
  token_hash: string;
  expires_at: number;
}

export interface RoomRow {
  name: string;
  epoch: string;
  seq: number;
  touched_at: number;
}

export interface MessageRow {
  room: string;
  seq: number;
  ts: number;
  client_id: string;
  user_id: string;
  user_name: string;
  text: string;
}

/** Where a keyed read of messages goes on from: after (room, seq). */
export interface MessageKey {
  room: string;
  seq: number;
}

/**
 * Opens `file` for the move. Only when its schema is older than this code's
 * is it opened for writing, to run the same migrations a server would run at
 * start; otherwise nothing writes to it.
 */
export function openSource(file: string): SqliteSource {
  const probe = new Database(file, { readonly: true, fileMustExist: true });
  let found: number;
  try {
    found = probe.pragma('user_version', { simple: true }) as number;
    // Any SQLite file opens; only a chat's is migrated and moved (an empty
    // file given by mistake would otherwise get Tether's tables written into it).
    const tables = probe
      .prepare<[], { name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('users', 'rooms', 'messages')",
      )
      .all();
    if (tables.length !== 3)
      throw new Error('it is not a Tether database (no users, rooms and messages tables)');
  } finally {
    probe.close();
  }
  if (found > SCHEMA_VERSION) {
    throw new Error(
      `${file} is at SQLite schema version ${found}, newer than this Tether's ${SCHEMA_VERSION}: run the move with a newer Tether`,
    );
  }
  if (found < SCHEMA_VERSION) {
    const writable = new Database(file, { fileMustExist: true });
    try {
      writable.pragma('busy_timeout = 5000');
      migrate(writable);
    } finally {
      writable.close();
    }
  }
  return new SqliteSource(new Database(file, { readonly: true, fileMustExist: true }), found);
}

export class SqliteSource {
  private readonly stmt;

  constructor(
    private readonly db: Database.Database,
    /** The schema version the file was at before the move brought it up to date. */
    readonly foundVersion: number,
  ) {
    db.pragma('busy_timeout = 5000');
    this.stmt = {
      counts: db.prepare<[], { users: number; rooms: number; messages: number }>(
        'SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM rooms) AS rooms, ' +
          '(SELECT count(*) FROM messages) AS messages',
      ),
      users: db.prepare<[string, number], UserRow>(
        'SELECT id, name, name_key, token_hash, expires_at FROM users WHERE id > ? ORDER BY id LIMIT ?',
      ),
      rooms: db.prepare<[string, number], RoomRow>(
        'SELECT name, epoch, seq, touched_at FROM rooms WHERE name > ? ORDER BY name LIMIT ?',
      ),
      // Row values follow the (room, seq) primary key: each batch is one index range.
      messages: db.prepare<[string, number, number], MessageRow>(
        'SELECT room, seq, ts, client_id, user_id, user_name, text FROM messages ' +
          'WHERE (room, seq) > (?, ?) ORDER BY room, seq LIMIT ?',
      ),
    };
  }

  /**
   * What this version of the move does not copy yet: messages changed since
   * they were sent (edited, deleted, replies, a rev past their seq),
   * reactions, and the (user, id) keys of changes. All zero for a chat that
   * never used them.
   */
  changes(): { changed: number; reactions: number; keys: number } {
    return this.db
      .prepare<[], { changed: number; reactions: number; keys: number }>(
        'SELECT (SELECT count(*) FROM messages WHERE rev > seq OR edited IS NOT NULL OR deleted <> 0 ' +
          'OR reply_to IS NOT NULL) AS changed, (SELECT count(*) FROM reactions) AS reactions, ' +
          '(SELECT count(*) FROM changes) AS keys',
      )
      .get() as { changed: number; reactions: number; keys: number };
  }

  /** Starts the read transaction every later read shares (one snapshot). */
  begin(): void {
    this.db.exec('BEGIN');
  }

  end(): void {
    if (this.db.inTransaction) this.db.exec('COMMIT');
  }

  counts(): { users: number; rooms: number; messages: number } {
    return this.stmt.counts.get() as { users: number; rooms: number; messages: number };
  }

  users(after: string, limit: number): UserRow[] {
    return this.stmt.users.all(after, limit);
  }

  rooms(after: string, limit: number): RoomRow[] {
    return this.stmt.rooms.all(after, limit);
  }

  messages(after: MessageKey, limit: number): MessageRow[] {
    return this.stmt.messages.all(after.room, after.seq, limit);
  }

  close(): void {
    this.end();
    this.db.close();
  }
}

/** Before every (room, seq): room names are never empty. */
export const FIRST_MESSAGE: MessageKey = { room: '', seq: 0 };
