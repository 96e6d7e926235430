/**
 * The SQLite side of a move: the file brought to the current schema (so a
 * database made by an older Tether moves too), then read on a read-only
 * connection, in keyed batches, inside one read transaction: WAL gives that
 * transaction one snapshot, so what is copied is one moment of the chat even
 * if something still wrote to the file.
 *
 * Messages are read in their current state, as the servers show them:
 * edited text, rev, edit time, tombstone, reply. A tombstone is read erased
 * (no text, no edit time, no reactions) even if a file somehow kept any of
 * them: the move never writes a deleted text into PostgreSQL, where it could
 * not be erased again (docs/protocol.md §17, Erasure).
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
  /** The seq of the last event that changed it (its own seq if none did). */
  rev: number;
  /** The ts of the last edit; null if never edited, and on a tombstone. */
  edited: number | null;
  /** A tombstone: text '' and no edit time (SQLite stores 0/1, PostgreSQL a boolean). */
  deleted: boolean | number;
  /** The seq of the message it replies to. */
  reply_to: number | null;
}

/** One user's reaction with one emoji; `ord` is the seq of the event that added it. */
export interface ReactionRow {
  room: string;
  seq: number;
  emoji: string;
  user_id: string;
  ord: number;
}

/**
 * The (user, id) of a change answered with an ack: the idempotency key of
 * edit, delete and react, with the answer a resend gets back. `event` is
 * whether it took a seq of the room (0/1 on SQLite, a boolean on PostgreSQL).
 */
export interface ChangeRow {
  user_id: string;
  client_id: string;
  room: string;
  seq: number;
  ts: number;
  target: number;
  event: boolean | number;
}

/** Where a keyed read of messages goes on from: after (room, seq). */
export interface MessageKey {
  room: string;
  seq: number;
}

/** After (room, seq, emoji, user). */
export interface ReactionKey {
  room: string;
  seq: number;
  emoji: string;
  user_id: string;
}

/** After (user, id). */
export interface ChangeKey {
  user_id: string;
  client_id: string;
}

export interface SourceCounts {
  users: number;
  rooms: number;
  messages: number;
  /** Reactions of messages that are there and not deleted: those the move copies. */
  reactions: number;
  changes: number;
}

/** How many messages carry each kind of change (for the operator's summary). */
export interface ChangedCounts {
  edited: number;
  deleted: number;
  replies: number;
}

/**
 * A reaction (`reactions r`) the servers show: of a message that is there and
 * not a tombstone. A delete and retention remove a message's reactions with
 * it; a row a file kept beside either is not moved.
 */
const LIVE_REACTION =
  'EXISTS (SELECT 1 FROM messages m WHERE m.room = r.room AND m.seq = r.seq AND m.deleted = 0)';

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
      counts: db.prepare<[], SourceCounts>(
        'SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM rooms) AS rooms, ' +
          '(SELECT count(*) FROM messages) AS messages, ' +
          `(SELECT count(*) FROM reactions r WHERE ${LIVE_REACTION}) AS reactions, ` +
          '(SELECT count(*) FROM changes) AS changes',
      ),
      changed: db.prepare<[], ChangedCounts>(
        'SELECT coalesce(sum(edited IS NOT NULL AND deleted = 0), 0) AS edited, ' +
          'coalesce(sum(deleted <> 0), 0) AS deleted, coalesce(sum(reply_to IS NOT NULL), 0) AS replies FROM messages',
      ),
      users: db.prepare<[string, number], UserRow>(
        'SELECT id, name, name_key, token_hash, expires_at FROM users WHERE id > ? ORDER BY id LIMIT ?',
      ),
      rooms: db.prepare<[string, number], RoomRow>(
        'SELECT name, epoch, seq, touched_at FROM rooms WHERE name > ? ORDER BY name LIMIT ?',
      ),
      // Row values follow the (room, seq) primary key: each batch is one index range.
      messages: db.prepare<[string, number, number], MessageRow>(
        'SELECT room, seq, ts, client_id, user_id, user_name, ' +
          "CASE WHEN deleted <> 0 THEN '' ELSE text END AS text, rev, " +
          'CASE WHEN deleted <> 0 THEN NULL ELSE edited END AS edited, deleted, reply_to FROM messages ' +
          'WHERE (room, seq) > (?, ?) ORDER BY room, seq LIMIT ?',
      ),
      // The (room, seq, emoji, user) primary key, likewise.
      reactions: db.prepare<[string, number, string, string, number], ReactionRow>(
        'SELECT r.room, r.seq, r.emoji, r.user_id, r.ord FROM reactions r ' +
          `WHERE (r.room, r.seq, r.emoji, r.user_id) > (?, ?, ?, ?) AND ${LIVE_REACTION} ` +
          'ORDER BY r.room, r.seq, r.emoji, r.user_id LIMIT ?',
      ),
      // The (user, id) primary key.
      changes: db.prepare<[string, string, number], ChangeRow>(
        'SELECT user_id, client_id, room, seq, ts, target, event FROM changes ' +
          'WHERE (user_id, client_id) > (?, ?) ORDER BY user_id, client_id LIMIT ?',
      ),
    };
  }

  /** Starts the read transaction every later read shares (one snapshot). */
  begin(): void {
    this.db.exec('BEGIN');
  }

  end(): void {
    if (this.db.inTransaction) this.db.exec('COMMIT');
  }

  counts(): SourceCounts {
    return this.stmt.counts.get() as SourceCounts;
  }

  changed(): ChangedCounts {
    return this.stmt.changed.get() as ChangedCounts;
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

  reactions(after: ReactionKey, limit: number): ReactionRow[] {
    return this.stmt.reactions.all(after.room, after.seq, after.emoji, after.user_id, limit);
  }

  changes(after: ChangeKey, limit: number): ChangeRow[] {
    return this.stmt.changes.all(after.user_id, after.client_id, limit);
  }

  close(): void {
    this.end();
    this.db.close();
  }
}

/** Before every (room, seq): room names are never empty. */
export const FIRST_MESSAGE: MessageKey = { room: '', seq: 0 };
/** Before every (room, seq, emoji, user). */
export const FIRST_REACTION: ReactionKey = { room: '', seq: 0, emoji: '', user_id: '' };
/** Before every (user, id): user ids are never empty. */
export const FIRST_CHANGE: ChangeKey = { user_id: '', client_id: '' };
