/**
 * The embedded store: one SQLite file in WAL mode with `synchronous = FULL`,
 * so a commit (and so an ack) survives a power loss.
 *
 * Appends are committed in groups: every `append` made during one turn of the
 * event loop joins one transaction, committed on the next `setImmediate`. An
 * fsync per message would cap a busy server at the disk's fsync rate; an fsync
 * per turn keeps the same durability at a fraction of the cost.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';

import Database from 'better-sqlite3';
import type { Message, User } from '@tether/protocol';

import { randomId } from './ids.js';
import type {
  AckRecord,
  AppendOutcome,
  ChatStore,
  MessagePage,
  NewMessage,
  NewUser,
  RoomState,
} from './types.js';

const SCHEMA = `
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
`;

interface MessageRow {
  room: string;
  seq: number;
  ts: number;
  client_id: string;
  user_id: string;
  user_name: string;
  text: string;
}

interface UserRow {
  id: string;
  name: string;
  expires_at: number;
}

interface Pending {
  message: NewMessage;
  resolve: (outcome: AppendOutcome) => void;
  reject: (error: unknown) => void;
}

const toMessage = (row: MessageRow): Message => ({
  room: row.room,
  seq: row.seq,
  ts: row.ts,
  id: row.client_id,
  from: { id: row.user_id, name: row.user_name },
  text: row.text,
});

/** Rows come newest first (to apply LIMIT); pages go out ascending. */
function page(rowsNewestFirst: MessageRow[], limit: number): MessagePage {
  const hasMore = rowsNewestFirst.length > limit;
  const rows = hasMore ? rowsNewestFirst.slice(0, limit) : rowsNewestFirst;
  return { messages: rows.reverse().map(toMessage), hasMore };
}

export class SqliteStore implements ChatStore {
  private readonly db: Database.Database;
  private pending: Pending[] = [];
  private flushScheduled = false;
  private lastCommitFailed = false;
  private closed = false;

  private readonly stmt;
  private readonly appendBatch: (
    batch: NewMessage[],
    touches: ReadonlyMap<string, number>,
  ) => AppendOutcome[];
  /** User id → new token expiry, written with the next group commit. */
  private touches = new Map<string, number>();

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    // better-sqlite3 leaves WAL databases at NORMAL, which may lose the last
    // commits on power loss; an ack promises the message is on disk.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);

    const db = this.db;
    this.stmt = {
      userByKey: db.prepare<[string], UserRow>('SELECT id, name, expires_at FROM users WHERE name_key = ?'),
      deleteUser: db.prepare<[string]>('DELETE FROM users WHERE id = ?'),
      insertUser: db.prepare<[string, string, string, string, number]>(
        'INSERT INTO users (id, name, name_key, token_hash, expires_at) VALUES (?, ?, ?, ?, ?)',
      ),
      userByToken: db.prepare<[string, number], UserRow>(
        'SELECT id, name, expires_at FROM users WHERE token_hash = ? AND expires_at > ?',
      ),
      touchUser: db.prepare<[number, string]>('UPDATE users SET expires_at = ? WHERE id = ?'),
      renameUser: db.prepare<[string, string, string]>(
        'UPDATE users SET name = ?, name_key = ? WHERE id = ?',
      ),
      room: db.prepare<[string], RoomState>('SELECT name, epoch, seq FROM rooms WHERE name = ?'),
      insertRoom: db.prepare<[string, string]>(
        'INSERT OR IGNORE INTO rooms (name, epoch, seq) VALUES (?, ?, 0)',
      ),
      rooms: db.prepare<[], RoomState>('SELECT name, epoch, seq FROM rooms ORDER BY name'),
      bumpSeq: db.prepare<[string], { seq: number }>(
        'UPDATE rooms SET seq = seq + 1 WHERE name = ? RETURNING seq',
      ),
      ackById: db.prepare<[string, string], AckRecord>(
        'SELECT room, client_id AS id, seq, ts FROM messages WHERE user_id = ? AND client_id = ?',
      ),
      insertMessage: db.prepare<[string, number, number, string, string, string, string]>(
        'INSERT INTO messages (room, seq, ts, client_id, user_id, user_name, text) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      latest: db.prepare<[string, number], MessageRow>(
        'SELECT * FROM messages WHERE room = ? ORDER BY seq DESC LIMIT ?',
      ),
      after: db.prepare<[string, number, number], MessageRow>(
        'SELECT * FROM messages WHERE room = ? AND seq > ? ORDER BY seq DESC LIMIT ?',
      ),
      before: db.prepare<[string, number, number], MessageRow>(
        'SELECT * FROM messages WHERE room = ? AND seq < ? ORDER BY seq DESC LIMIT ?',
      ),
      probe: db.prepare<[number]>('INSERT OR REPLACE INTO probe (id, at) VALUES (1, ?)'),
      ping: db.prepare('SELECT 1'),
    };

    this.appendBatch = this.db.transaction((batch: NewMessage[], touches: ReadonlyMap<string, number>) => {
      for (const [id, expiresAt] of touches) this.stmt.touchUser.run(expiresAt, id);
      return batch.map((m) => this.appendOne(m));
    });
  }

  private appendOne(m: NewMessage): AppendOutcome {
    const earlier = this.stmt.ackById.get(m.from.id, m.id);
    if (earlier) return { kind: 'duplicate', ack: earlier };
    let bumped = this.stmt.bumpSeq.get(m.room);
    if (!bumped) {
      this.stmt.insertRoom.run(m.room, randomId('e'));
      bumped = this.stmt.bumpSeq.get(m.room);
    }
    if (!bumped) throw new Error(`room ${m.room} could not be created`);
    this.stmt.insertMessage.run(m.room, bumped.seq, m.ts, m.id, m.from.id, m.from.name, m.text);
    return {
      kind: 'stored',
      message: { room: m.room, seq: bumped.seq, ts: m.ts, id: m.id, from: m.from, text: m.text },
    };
  }

  createUser(input: NewUser): Promise<User | null> {
    return this.run(() =>
      this.db.transaction(() => {
        const holder = this.stmt.userByKey.get(input.nameKey);
        if (holder && holder.expires_at > input.now) return null;
        // The holder's token expired: the name is free again.
        if (holder) this.stmt.deleteUser.run(holder.id);
        const id = randomId('u');
        this.stmt.insertUser.run(id, input.name, input.nameKey, input.tokenHash, input.expiresAt);
        return { id, name: input.name };
      })(),
    );
  }

  resumeSession(tokenHash: string, now: number, expiresAt: number): Promise<User | null> {
    return this.run(() => {
      const row = this.stmt.userByToken.get(tokenHash, now);
      if (!row) return null;
      // The new expiry goes out with the next group commit instead of a
      // transaction (and an fsync) of its own: after a restart every client
      // resumes at once, and 2,000 fsyncs in a row would stall the event loop
      // for seconds. Losing it in a crash only leaves the previous expiry.
      this.touches.set(row.id, Math.max(expiresAt, this.touches.get(row.id) ?? 0));
      this.scheduleFlush();
      return { id: row.id, name: row.name };
    });
  }

  renameUser(userId: string, name: string, nameKey: string, now: number): Promise<boolean> {
    return this.run(() =>
      this.db.transaction(() => {
        const holder = this.stmt.userByKey.get(nameKey);
        if (holder && holder.id !== userId && holder.expires_at > now) return false;
        if (holder && holder.id !== userId) this.stmt.deleteUser.run(holder.id);
        this.stmt.renameUser.run(name, nameKey, userId);
        return true;
      })(),
    );
  }

  openRoom(room: string): Promise<RoomState> {
    return this.run(() => {
      const existing = this.stmt.room.get(room);
      if (existing) return existing;
      this.stmt.insertRoom.run(room, randomId('e'));
      const created = this.stmt.room.get(room);
      if (!created) throw new Error(`room ${room} could not be created`);
      return created;
    });
  }

  listRooms(): Promise<RoomState[]> {
    return this.run(() => this.stmt.rooms.all());
  }

  append(message: NewMessage): Promise<AppendOutcome> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    return new Promise((resolve, reject) => {
      this.pending.push({ message, resolve, reject });
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.closed) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  /** Commits every append (and expiry touch) made since the last flush in one transaction. */
  private flush(): void {
    this.flushScheduled = false;
    const batch = this.pending;
    const touches = this.touches;
    if (batch.length === 0 && touches.size === 0) return;
    this.pending = [];
    this.touches = new Map();
    let outcomes: AppendOutcome[];
    try {
      outcomes = this.appendBatch(
        batch.map((p) => p.message),
        touches,
      );
      this.lastCommitFailed = false;
    } catch (error) {
      this.lastCommitFailed = true;
      for (const p of batch) p.reject(error);
      return;
    }
    batch.forEach((p, i) => p.resolve(outcomes[i] as AppendOutcome));
  }

  findAck(userId: string, id: string): Promise<AckRecord | null> {
    return this.run(() => this.stmt.ackById.get(userId, id) ?? null);
  }

  latest(room: string, limit: number): Promise<MessagePage> {
    return this.run(() => page(this.stmt.latest.all(room, limit + 1), limit));
  }

  after(room: string, since: number, limit: number): Promise<MessagePage> {
    return this.run(() => page(this.stmt.after.all(room, since, limit + 1), limit));
  }

  before(room: string, before: number, limit: number): Promise<MessagePage> {
    return this.run(() => page(this.stmt.before.all(room, before, limit + 1), limit));
  }

  check(): Promise<void> {
    return this.run(() => {
      this.stmt.ping.get();
      // After a failed commit, readiness means "can write again", not "can read".
      if (this.lastCommitFailed) {
        this.stmt.probe.run(Date.now());
        this.lastCommitFailed = false;
      }
    });
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.flush();
    this.db.close();
    return Promise.resolve();
  }

  /** better-sqlite3 is synchronous; the interface is not. Errors become rejections. */
  private run<T>(work: () => T): Promise<T> {
    try {
      return Promise.resolve(work());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
}
