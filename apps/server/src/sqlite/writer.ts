/**
 * Every write SQLite does for Tether, on one connection: the group commit of
 * appends (with token-expiry touches), user creation and renames, room
 * creation and the readiness probe. For a database file it runs in a worker
 * thread (worker.ts), so commits, their fsyncs and WAL checkpoints do
 * not stall the event loop; for `:memory:` it runs inline on the store's own
 * connection, since a second connection would see another database.
 */
import Database from 'better-sqlite3';
import type { User } from '@tether/protocol';

import { randomId } from '../util/ids.js';
import type { AckRecord, NewMessage, NewUser, RoomState, SweepPlan, SweepResult } from '../chat/ports.js';
import type { BatchItem, Committed, SendCommitted } from '../util/group-commit.js';
import { SqliteChanges, type SeqCounter } from './changes.js';
import { MessageReader } from './reads.js';

/** Opens `file` with the settings both connections need. */
export function openDatabase(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // better-sqlite3 leaves WAL databases at NORMAL, which may lose the last
  // commits on power loss; an ack promises the message is on disk.
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  // A deleted message's text must not survive in freed space: SQLite zeroes
  // what it frees (cells, pages) instead of leaving the bytes in the file.
  db.pragma('secure_delete = ON');
  return db;
}

/** A write, as posted to the writer (plain data: it crosses a thread). */
export type WriteRequest =
  | {
      kind: 'commit';
      /** Sends and changes, in arrival order. */
      items: BatchItem[];
      /** Token expiries pushed forward. */
      touches: [userId: string, expiresAt: number][];
      /** Empty rooms someone joined, and when. */
      roomTouches: [room: string, at: number][];
    }
  | { kind: 'createUser'; input: NewUser }
  | { kind: 'renameUser'; userId: string; name: string; nameKey: string; now: number }
  | { kind: 'openRoom'; room: string; now: number }
  | { kind: 'newEpoch'; room: string }
  | { kind: 'sweep'; plan: SweepPlan }
  | { kind: 'probe'; at: number };

/** What each kind of write answers. */
export interface WriteResults {
  commit: Committed[];
  createUser: User | null;
  renameUser: boolean;
  openRoom: RoomState;
  newEpoch: RoomState;
  sweep: SweepResult;
  probe: null;
}

export type WriteResult = WriteResults[keyof WriteResults];

export type WriteOutcome = { ok: true; result: WriteResult } | { ok: false; error: unknown };

interface UserRow {
  id: string;
  expires_at: number;
}

export class SqliteWriter {
  private readonly stmt;
  private readonly changes: SqliteChanges;
  /**
   * A commit deleted a message: the WAL still holds page images with its
   * text until a TRUNCATE checkpoint empties it (see handleAll).
   */
  private eraseOwed = false;
  private readonly commitBatch: (
    items: readonly BatchItem[],
    touches: readonly (readonly [string, number])[],
    roomTouches: readonly (readonly [string, number])[],
  ) => Committed[];
  /**
   * Transactions are made once: better-sqlite3's `transaction()` defines
   * properties on each function it makes, which cost a connect storm's
   * writer about a sixth of its time when made per write.
   */
  private readonly inTransaction: (request: WriteRequest) => WriteResult;
  private readonly inOneCommit: (requests: readonly WriteRequest[]) => WriteOutcome[];

  constructor(private readonly db: Database.Database) {
    this.stmt = {
      userByKey: db.prepare<[string], UserRow>('SELECT id, expires_at FROM users WHERE name_key = ?'),
      deleteUser: db.prepare<[string]>('DELETE FROM users WHERE id = ?'),
      userName: db.prepare<[string], { name: string }>('SELECT name FROM users WHERE id = ?'),
      insertUser: db.prepare<[string, string, string, string, number]>(
        'INSERT INTO users (id, name, name_key, token_hash, expires_at) VALUES (?, ?, ?, ?, ?)',
      ),
      touchUser: db.prepare<[number, string]>('UPDATE users SET expires_at = ? WHERE id = ?'),
      renameUser: db.prepare<[string, string, string]>(
        'UPDATE users SET name = ?, name_key = ? WHERE id = ?',
      ),
      room: db.prepare<[string], RoomState>('SELECT name, epoch, seq FROM rooms WHERE name = ?'),
      insertRoom: db.prepare<[string, string, number]>(
        'INSERT OR IGNORE INTO rooms (name, epoch, seq, touched_at) VALUES (?, ?, 0, ?)',
      ),
      touchRoom: db.prepare<[number, string]>(
        'UPDATE rooms SET touched_at = max(touched_at, ?) WHERE name = ?',
      ),
      deleteExpiredUsers: db.prepare<[number, string]>(
        'DELETE FROM users WHERE expires_at < ? AND id NOT IN (SELECT value FROM json_each(?))',
      ),
      deleteIdleRoom: db.prepare<[string, number]>(
        'DELETE FROM rooms WHERE name = ? AND seq = 0 AND touched_at < ?',
      ),
      trimRoom: db.prepare<[string, number]>('DELETE FROM messages WHERE room = ? AND ts < ?'),
      trimReactions: db.prepare<[string, string, number]>(
        'DELETE FROM reactions WHERE room = ? AND seq IN (SELECT seq FROM messages WHERE room = ? AND ts < ?)',
      ),
      roomNames: db.prepare<[], { name: string }>('SELECT name FROM rooms'),
      setSeq: db.prepare<[number, string]>('UPDATE rooms SET seq = ? WHERE name = ?'),
      setEpoch: db.prepare<[string, string]>('UPDATE rooms SET epoch = ? WHERE name = ?'),
      ackById: db.prepare<[string, string], AckRecord>(
        'SELECT room, client_id AS id, seq, ts FROM messages WHERE user_id = ? AND client_id = ?',
      ),
      insertMessage: db.prepare<
        [string, number, number, string, string, string, string, number, number | null]
      >(
        // A resend hits the (user, id) index: nothing is stored, and the batch looks up the first ack.
        'INSERT INTO messages (room, seq, ts, client_id, user_id, user_name, text, rev, reply_to) ' +
          'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, client_id) DO NOTHING',
      ),
      probe: db.prepare<[number]>('INSERT OR REPLACE INTO probe (id, at) VALUES (1, ?)'),
    };
    this.changes = new SqliteChanges(db, new MessageReader(db));
    this.inTransaction = db.transaction((request: WriteRequest) => this.apply(request));
    this.inOneCommit = db.transaction((requests: readonly WriteRequest[]) =>
      requests.map((request) => this.attempt(request)),
    );
    this.commitBatch = db.transaction(
      (
        items: readonly BatchItem[],
        touches: readonly (readonly [string, number])[],
        roomTouches: readonly (readonly [string, number])[],
      ) => {
        for (const [id, expiresAt] of touches) this.stmt.touchUser.run(expiresAt, id);
        for (const [room, at] of roomTouches) this.stmt.touchRoom.run(at, room);
        // Seqs are counted here and each room's row is written once per batch:
        // this and the insert that detects resends made a commit ~30 % cheaper.
        const seqs = new Map<string, number>();
        const counter: SeqCounter = {
          last: (room) => seqs.get(room) ?? this.stmt.room.get(room)?.seq ?? 0,
          taken: (room, seq) => seqs.set(room, seq),
        };
        const names = new Map<string, string>();
        const outcomes = items.map((item): Committed => {
          if (item.kind === 'send') return this.appendOne(item.message, seqs, names);
          if (item.change.op.kind === 'delete') this.eraseOwed = true;
          return this.changes.apply(item.change, counter);
        });
        for (const [room, seq] of seqs) this.stmt.setSeq.run(seq, room);
        return outcomes;
      },
    );
  }

  /**
   * Runs several writes in one transaction, so they share one commit and one
   * fsync (a connect storm's `hello`s would otherwise cost one fsync each).
   * Each write runs in a savepoint of its own: one that fails is answered
   * with its error and undone alone. If the commit itself fails, every write
   * fails with it. Answers are returned only once the commit is on disk.
   */
  handleAll(requests: readonly WriteRequest[]): WriteOutcome[] {
    let outcomes: WriteOutcome[];
    if (requests.length === 1) outcomes = [this.attempt(requests[0] as WriteRequest)];
    else {
      try {
        outcomes = this.inOneCommit(requests);
      } catch (error) {
        outcomes = requests.map(() => ({ ok: false, error }));
      }
    }
    if (this.eraseOwed) this.eraseFromWal();
    return outcomes;
  }

  /** One write in its own transaction, or its own savepoint inside a group's. */
  private attempt(request: WriteRequest): WriteOutcome {
    try {
      return { ok: true, result: this.inTransaction(request) };
    } catch (error) {
      return { ok: false, error };
    }
  }

  /**
   * After a commit that deleted a message, copies the WAL into the database
   * and truncates it: until then its old page images still hold the text
   * (a PASSIVE checkpoint copies them but leaves the file as it is). Deletes
   * are rare; this costs them a checkpoint. Readers in the middle of a read
   * make it wait (busy_timeout) or fail: then the next write tries again.
   */
  private eraseFromWal(): void {
    try {
      const [result] = this.db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      if (result?.busy === 0) this.eraseOwed = false;
    } catch {
      // Tried again after the next write.
    }
  }

  /** Runs one write in its own transaction; throws what SQLite throws. */
  handle(request: WriteRequest): WriteResult {
    return this.inTransaction(request);
  }

  /** One write; always inside a transaction or savepoint (see inTransaction). */
  private apply(request: WriteRequest): WriteResult {
    switch (request.kind) {
      case 'commit':
        return this.commitBatch(request.items, request.touches, request.roomTouches);
      case 'createUser':
        return this.createUser(request.input);
      case 'renameUser':
        return this.renameUser(request.userId, request.name, request.nameKey, request.now);
      case 'openRoom':
        return this.openRoom(request.room, request.now);
      case 'sweep':
        return this.sweep(request.plan);
      case 'newEpoch': {
        this.stmt.setEpoch.run(randomId('e'), request.room);
        const state = this.stmt.room.get(request.room);
        if (!state) throw new Error(`room ${request.room} does not exist`);
        return state;
      }
      case 'probe':
        this.stmt.probe.run(request.at);
        return null;
    }
  }

  /**
   * A message carries the name its sender holds when it commits, read here
   * (once per sender and commit), not the one the connection knew: a rename
   * on another connection may have committed a moment before, and a message
   * must never carry a name its user no longer holds.
   */
  private senderName(m: NewMessage, names: Map<string, string>): string {
    let name = names.get(m.from.id);
    if (name === undefined) {
      name = this.stmt.userName.get(m.from.id)?.name ?? m.from.name;
      names.set(m.from.id, name);
    }
    return name;
  }

  private appendOne(m: NewMessage, seqs: Map<string, number>, names: Map<string, string>): SendCommitted {
    // One id space for sends and changes: a change's key answers a send too.
    const asChange = this.changes.changeAck(m.from.id, m.id);
    if (asChange) return asChange;
    const last = seqs.get(m.room) ?? (this.stmt.room.get(m.room) ?? this.openRoom(m.room, m.ts)).seq;
    const seq = last + 1;
    const name = this.senderName(m, names);
    const replyTo = m.replyTo?.seq ?? null;
    const inserted = this.stmt.insertMessage.run(
      m.room,
      seq,
      m.ts,
      m.id,
      m.from.id,
      name,
      m.text,
      seq,
      replyTo,
    );
    if (inserted.changes > 0) {
      seqs.set(m.room, seq);
      return name === m.from.name ? seq : [seq, name];
    }
    seqs.set(m.room, last);
    const earlier = this.stmt.ackById.get(m.from.id, m.id);
    if (!earlier) throw new Error(`message ${m.id} of ${m.from.id} was neither stored nor found`);
    return earlier;
  }

  private createUser(input: NewUser): User | null {
    const holder = this.stmt.userByKey.get(input.nameKey);
    if (holder && holder.expires_at > input.now) return null;
    // The holder's token expired: the name is free again.
    if (holder) this.stmt.deleteUser.run(holder.id);
    const id = randomId('u');
    this.stmt.insertUser.run(id, input.name, input.nameKey, input.tokenHash, input.expiresAt);
    return { id, name: input.name };
  }

  private renameUser(userId: string, name: string, nameKey: string, now: number): boolean {
    const holder = this.stmt.userByKey.get(nameKey);
    if (holder && holder.id !== userId && holder.expires_at > now) return false;
    if (holder && holder.id !== userId) this.stmt.deleteUser.run(holder.id);
    this.stmt.renameUser.run(name, nameKey, userId);
    return true;
  }

  /** Expired users, idle empty rooms and messages past retention, in one transaction. */
  private sweep(plan: SweepPlan): SweepResult {
    const users = this.stmt.deleteExpiredUsers.run(
      plan.usersExpiredBefore,
      JSON.stringify(plan.liveUsers),
    ).changes;
    let rooms = 0;
    for (const room of plan.emptyRooms)
      rooms += this.stmt.deleteIdleRoom.run(room, plan.emptyRoomsIdleBefore).changes;
    let messages = 0;
    const { retention } = plan;
    if (retention.default !== undefined) {
      for (const { name } of this.stmt.roomNames.all())
        messages += this.trim(name, retention.rooms.get(name) ?? retention.default);
    } else {
      for (const [room, before] of retention.rooms) messages += this.trim(room, before);
    }
    return { users, rooms, messages };
  }

  /** Deletes a room's messages older than `before`, and their reactions. */
  private trim(room: string, before: number): number {
    this.stmt.trimReactions.run(room, room, before);
    return this.stmt.trimRoom.run(room, before).changes;
  }

  private openRoom(room: string, now: number): RoomState {
    this.stmt.insertRoom.run(room, randomId('e'), now);
    const state = this.stmt.room.get(room);
    if (!state) throw new Error(`room ${room} could not be created`);
    return state;
  }
}
