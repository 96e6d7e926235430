/**
 * The embedded store: one SQLite file in WAL mode with `synchronous = FULL`,
 * so a commit (and so an ack) survives a power loss.
 *
 * Appends are committed in groups (util/group-commit.ts): an fsync per
 * message would cap a busy server at the disk's fsync rate; an fsync per
 * group keeps the same durability at a fraction of the cost.
 *
 * Every write goes to one writer (writer.ts). For a file it runs in a
 * worker thread with its own connection: measured at 20,000 appends/s, commits
 * on the event loop took about half of its time, in blocks of 5–20 ms and now
 * and then 100–270 ms, and every ack and delivery waited behind them. Reads stay on this thread's connection; WAL
 * lets them run beside the writer, and a new read sees every commit already
 * acknowledged. No write is made on this thread's connection once the worker
 * runs: it would wait on the writer's lock.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';

import type Database from 'better-sqlite3';
import type { Message, User } from '@tether/protocol';

import type {
  AckRecord,
  AppendOutcome,
  ChangeOutcome,
  ChatStore,
  MessagePage,
  NewChange,
  RoomEvent,
  NewMessage,
  NewUser,
  RoomListing,
  RoomQuery,
  RoomState,
  SweepPlan,
  SweepResult,
} from '../chat/ports.js';
import { GroupCommit } from '../util/group-commit.js';
import { InlineChannel, WorkerChannel, type WriteChannel } from './threads.js';
import { MESSAGE_COLUMNS, MessageReader, type MessageRow } from './reads.js';
import { migrate } from './schema.js';
import { openDatabase } from './writer.js';

interface UserRow {
  id: string;
  name: string;
  expires_at: number;
}

export class SqliteStore implements ChatStore {
  /** This thread's connection: reads only, once the writer runs. */
  private readonly db: Database.Database;
  private readonly writer: WriteChannel;
  private readonly group: GroupCommit;
  private closed = false;

  private readonly stmt;
  private readonly reader: MessageReader;

  constructor(file: string) {
    const memory = file === ':memory:';
    if (!memory) mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.db = openDatabase(file);
    // The schema is brought up to date before the writer opens its connection.
    migrate(this.db);
    this.writer = memory ? new InlineChannel(this.db) : new WorkerChannel(file);
    const writer = this.writer;
    this.group = new GroupCommit((batch) => writer.write({ kind: 'commit', ...batch }));

    const db = this.db;
    this.reader = new MessageReader(db);
    this.stmt = {
      userByToken: db.prepare<[string, number], UserRow>(
        'SELECT id, name, expires_at FROM users WHERE token_hash = ? AND expires_at > ?',
      ),
      room: db.prepare<[string], RoomState>('SELECT name, epoch, seq FROM rooms WHERE name = ?'),
      rooms: db.prepare<[string, string, string, number, number], RoomState>(
        // Names are ASCII: a prefix range is [prefix, prefix + DEL).
        'SELECT name, epoch, seq FROM rooms WHERE name > ? AND name >= ? AND name < ? AND (seq > 0 OR touched_at >= ?) ' +
          'ORDER BY name LIMIT ?',
      ),
      idleEmptyRooms: db.prepare<[number, number], { name: string }>(
        'SELECT name FROM rooms WHERE seq = 0 AND touched_at < ? LIMIT ?',
      ),
      ackById: db.prepare<[string, string], AckRecord>(
        'SELECT room, client_id AS id, seq, ts FROM messages WHERE user_id = ? AND client_id = ?',
      ),
      changeAckById: db.prepare<[string, string], AckRecord>(
        'SELECT room, client_id AS id, seq, ts FROM changes WHERE user_id = ? AND client_id = ?',
      ),
      latest: db.prepare<[string, number], MessageRow>(
        `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE room = ? ORDER BY seq DESC LIMIT ?`,
      ),
      after: db.prepare<[string, number, number], MessageRow>(
        `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE room = ? AND seq > ? ORDER BY seq DESC LIMIT ?`,
      ),
      // Older messages changed since: found through (room, rev), as cheap as the seq range above.
      changedBefore: db.prepare<[string, number, number, number], MessageRow>(
        `SELECT ${MESSAGE_COLUMNS} FROM messages INDEXED BY messages_by_rev WHERE room = ? AND rev > ? AND seq <= ? ` +
          'ORDER BY seq DESC LIMIT ?',
      ),
      before: db.prepare<[string, number, number], MessageRow>(
        `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE room = ? AND seq < ? ORDER BY seq DESC LIMIT ?`,
      ),
      events: db.prepare<[string, number, string, number, number], { seq: number; target: number }>(
        'SELECT seq, seq AS target FROM messages WHERE room = ? AND seq > ? ' +
          'UNION ALL SELECT seq, target FROM changes INDEXED BY changes_by_event WHERE room = ? AND seq > ? AND event = 1 ' +
          'ORDER BY seq LIMIT ?',
      ),
      ping: db.prepare('SELECT 1'),
    };
  }

  createUser(input: NewUser): Promise<User | null> {
    return this.writer.write({ kind: 'createUser', input });
  }

  resumeSession(tokenHash: string, now: number, expiresAt: number): Promise<User | null> {
    return this.run(() => {
      const row = this.stmt.userByToken.get(tokenHash, now);
      if (!row) return null;
      // The new expiry goes out with the next group commit instead of a
      // transaction (and an fsync) of its own: after a restart every client
      // resumes at once, and 2,000 fsyncs in a row would hold the writer for
      // seconds. Losing it in a crash only leaves the previous expiry.
      this.group.touchUser(row.id, expiresAt);
      return { id: row.id, name: row.name };
    });
  }

  touchUsers(userIds: readonly string[], expiresAt: number): void {
    for (const id of userIds) this.group.touchUser(id, expiresAt);
  }

  renameUser(userId: string, name: string, nameKey: string, now: number): Promise<boolean> {
    return this.writer.write({ kind: 'renameUser', userId, name, nameKey, now });
  }

  openRoom(room: string, now: number): Promise<RoomState> {
    let existing: RoomState | undefined;
    try {
      existing = this.stmt.room.get(room);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    if (!existing) return this.writer.write({ kind: 'openRoom', room, now });
    // Only an empty room's last join matters (it is swept when idle); it goes
    // out with the next group commit rather than in a transaction of its own.
    if (existing.seq === 0) this.group.touchRoom(room, now);
    return Promise.resolve(existing);
  }

  newEpoch(room: string): Promise<RoomState> {
    return this.writer.write({ kind: 'newEpoch', room });
  }

  findRoom(room: string): Promise<RoomState | null> {
    return this.run(() => this.stmt.room.get(room) ?? null);
  }

  listRooms(query: RoomQuery): Promise<RoomListing> {
    return this.run(() => {
      const rows = this.stmt.rooms.all(
        query.after ?? '',
        query.prefix,
        `${query.prefix}\u007f`,
        query.activeSince,
        query.limit + 1,
      );
      const hasMore = rows.length > query.limit;
      return { rooms: hasMore ? rows.slice(0, query.limit) : rows, hasMore };
    });
  }

  idleEmptyRooms(idleBefore: number, limit: number): Promise<string[]> {
    return this.run(() => this.stmt.idleEmptyRooms.all(idleBefore, limit).map((row) => row.name));
  }

  sweep(plan: SweepPlan): Promise<SweepResult> {
    return this.writer.write({ kind: 'sweep', plan });
  }

  append(message: NewMessage): Promise<AppendOutcome> {
    return this.group.append(message);
  }

  change(change: NewChange): Promise<ChangeOutcome> {
    return this.group.change(change);
  }

  findAck(userId: string, id: string): Promise<AckRecord | null> {
    return this.run(
      () => this.stmt.changeAckById.get(userId, id) ?? this.stmt.ackById.get(userId, id) ?? null,
    );
  }

  message(room: string, seq: number): Promise<Message | null> {
    return this.run(() => this.reader.one(room, seq));
  }

  events(room: string, since: number, limit: number): Promise<RoomEvent[]> {
    // One read transaction, so the events and the states agree.
    return this.run(() =>
      this.db.transaction(() => {
        const seqs = this.stmt.events.all(room, since, room, since, limit);
        const states = new Map<number, Message>();
        for (const { target } of seqs) {
          if (!states.has(target)) {
            const message = this.reader.one(room, target);
            if (message) states.set(target, message);
          }
        }
        const events: RoomEvent[] = [];
        for (const { seq, target } of seqs) {
          const message = states.get(target);
          // A message removed by retention since: its change has nothing left to show.
          if (!message) events.push({ kind: 'gone', seq });
          else events.push(seq === target ? { kind: 'message', message } : { kind: 'update', seq, message });
        }
        return events;
      })(),
    );
  }

  latest(room: string, limit: number): Promise<MessagePage> {
    return this.run(() => this.page(this.stmt.latest.all(room, limit + 1), limit));
  }

  after(room: string, since: number, limit: number): Promise<MessagePage> {
    return this.run(() =>
      this.db.transaction(() => {
        // Every message with seq > since has rev > since; the older ones that
        // changed since come from the rev index, only when the newer ones left room.
        const newer = this.stmt.after.all(room, since, limit + 1);
        if (newer.length > limit) return this.page(newer, limit);
        const older = this.stmt.changedBefore.all(room, since, since, limit + 1 - newer.length);
        return this.page([...newer, ...older], limit);
      })(),
    );
  }

  before(room: string, before: number, limit: number): Promise<MessagePage> {
    return this.run(() => this.page(this.stmt.before.all(room, before, limit + 1), limit));
  }

  /** Rows come newest first (to apply LIMIT); pages go out ascending, in current state. */
  private page(rowsNewestFirst: MessageRow[], limit: number): MessagePage {
    const hasMore = rowsNewestFirst.length > limit;
    const rows = hasMore ? rowsNewestFirst.slice(0, limit) : rowsNewestFirst;
    return { messages: this.reader.messages(rows.reverse()), hasMore };
  }

  async check(): Promise<void> {
    await this.run(() => this.stmt.ping.get());
    // After a failed commit, readiness means "can write again", not "can read".
    if (this.group.lastFailed) {
      await this.writer.write({ kind: 'probe', at: Date.now() });
      this.group.lastFailed = false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // What is pending is committed before the writer stops.
    await this.group.close();
    // The writer's connection closes last, so its thread does the final checkpoint.
    this.db.close();
    await this.writer.close();
  }

  /** Reads are synchronous; the interface is not. Errors become rejections. */
  private run<T>(work: () => T): Promise<T> {
    try {
      return Promise.resolve(work());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
}
