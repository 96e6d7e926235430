/**
 * The store for several server processes: PostgreSQL holds users, tokens,
 * rooms and every message, with `synchronous_commit` on (the server's
 * default), so an ack follows a commit that survives a crash.
 *
 * Appends are committed in groups (util/group-commit.ts), each group one
 * statement (append.ts). Token and room touches ride along with the groups.
 * Reads and the rare writes (a new user, a rename, a new epoch, the hourly
 * sweep) use the pool directly, with named (prepared) statements.
 */
import type { Message, User } from '@tether/protocol';
import type pg from 'pg';

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
import { GroupCommit, type CommitBatch, type Committed } from '../util/group-commit.js';
import { randomId } from '../util/ids.js';
import { appendBatch } from './append.js';
import { commitMixed } from './batch.js';
import { isUniqueViolation } from './connection.js';
import { READS, toMessage, type MessageRow } from './reads.js';

/** Rows come newest first (to apply LIMIT); pages go out ascending. */
function page(rowsNewestFirst: MessageRow[], limit: number): MessagePage {
  const hasMore = rowsNewestFirst.length > limit;
  const rows = hasMore ? rowsNewestFirst.slice(0, limit) : rowsNewestFirst;
  return { messages: rows.reverse().map(toMessage), hasMore };
}

export class PostgresStore implements ChatStore {
  private readonly group: GroupCommit;
  private closed = false;

  constructor(private readonly pool: pg.Pool) {
    this.group = new GroupCommit((batch) => this.commit(batch));
  }

  /**
   * One group: sends only in one statement, a group with changes in one
   * transaction (batch.ts); the touches beside it, on another connection.
   */
  private async commit(batch: CommitBatch): Promise<Committed[]> {
    const sendsOnly = batch.items.every((item) => item.kind === 'send');
    const write = sendsOnly
      ? appendBatch(
          this.pool,
          batch.items.map((item) => (item as { message: NewMessage }).message),
        )
      : commitMixed(this.pool, batch.items);
    const [committed] = await Promise.all([write, this.touch(batch)]);
    return committed;
  }

  private async touch({ touches, roomTouches }: CommitBatch): Promise<void> {
    // Sorted, so two processes touching the same rows lock them in one order.
    if (touches.length > 0) {
      const sorted = [...touches].sort(([a], [b]) => (a < b ? -1 : 1));
      await this.pool.query({
        name: 'tether_touch_users',
        text:
          'UPDATE users u SET expires_at = greatest(u.expires_at, t.e) ' +
          'FROM unnest($1::text[], $2::bigint[]) AS t(id, e) WHERE u.id = t.id',
        values: [sorted.map(([id]) => id), sorted.map(([, e]) => e)],
      });
    }
    if (roomTouches.length > 0) {
      const sorted = [...roomTouches].sort(([a], [b]) => (a < b ? -1 : 1));
      await this.pool.query({
        name: 'tether_touch_rooms',
        text:
          'UPDATE rooms r SET touched_at = greatest(r.touched_at, t.at) ' +
          'FROM unnest($1::text[], $2::bigint[]) AS t(name, at) WHERE r.name = t.name AND r.seq = 0',
        values: [sorted.map(([name]) => name), sorted.map(([, at]) => at)],
      });
    }
  }

  // ---------------------------------------------------------------- users

  createUser(input: NewUser): Promise<User | null> {
    return this.claimName(input.nameKey, input.now, null, async (client) => {
      const id = randomId('u');
      await client.query(
        'INSERT INTO users (id, name, name_key, token_hash, expires_at) VALUES ($1, $2, $3, $4, $5)',
        [id, input.name, input.nameKey, input.tokenHash, input.expiresAt],
      );
      return { id, name: input.name };
    });
  }

  async renameUser(userId: string, name: string, nameKey: string, now: number): Promise<boolean> {
    const renamed = await this.claimName(nameKey, now, userId, async (client) => {
      await client.query('UPDATE users SET name = $1, name_key = $2 WHERE id = $3', [name, nameKey, userId]);
      return true;
    });
    return renamed ?? false;
  }

  /**
   * Runs `take` in a transaction once the name's key is free for `userId`
   * (null: a new user). A holder whose token expired loses the name and is
   * deleted. Null when a live user holds it, also when another process took
   * it a moment before.
   */
  private async claimName<T>(
    nameKey: string,
    now: number,
    userId: string | null,
    take: (client: pg.PoolClient) => Promise<T>,
  ): Promise<T | null> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ id: string; expires_at: number }>(
        'SELECT id, expires_at FROM users WHERE name_key = $1 FOR UPDATE',
        [nameKey],
      );
      const holder = rows[0];
      if (holder && holder.id !== userId) {
        if (holder.expires_at > now) {
          await client.query('ROLLBACK');
          return null;
        }
        await client.query('DELETE FROM users WHERE id = $1', [holder.id]);
      }
      const result = await take(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      if (isUniqueViolation(error, 'users_name_key_key')) return null;
      throw error;
    } finally {
      client.release();
    }
  }

  async resumeSession(tokenHash: string, now: number, expiresAt: number): Promise<User | null> {
    const { rows } = await this.pool.query<{ id: string; name: string }>({
      name: 'tether_user_by_token',
      text: 'SELECT id, name FROM users WHERE token_hash = $1 AND expires_at > $2',
      values: [tokenHash, now],
    });
    const row = rows[0];
    if (!row) return null;
    // The new expiry goes out with the next group commit: after a restart
    // every client resumes at once.
    this.group.touchUser(row.id, expiresAt);
    return { id: row.id, name: row.name };
  }

  touchUsers(userIds: readonly string[], expiresAt: number): void {
    for (const id of userIds) this.group.touchUser(id, expiresAt);
  }

  // ---------------------------------------------------------------- rooms

  async openRoom(room: string, now: number): Promise<RoomState> {
    const existing = await this.findRoom(room);
    if (existing) {
      // Only an empty room's last join matters (it is swept when idle).
      if (existing.seq === 0) this.group.touchRoom(room, now);
      return existing;
    }
    await this.pool.query(
      'INSERT INTO rooms (name, epoch, seq, touched_at) VALUES ($1, $2, 0, $3) ON CONFLICT (name) DO NOTHING',
      [room, randomId('e'), now],
    );
    const created = await this.findRoom(room);
    if (!created) throw new Error(`room ${room} could not be created`);
    return created;
  }

  async findRoom(room: string): Promise<RoomState | null> {
    const { rows } = await this.pool.query<RoomState>({
      name: 'tether_room',
      text: 'SELECT name, epoch, seq FROM rooms WHERE name = $1',
      values: [room],
    });
    return rows[0] ?? null;
  }

  async newEpoch(room: string): Promise<RoomState> {
    const { rows } = await this.pool.query<RoomState>(
      'UPDATE rooms SET epoch = $2 WHERE name = $1 RETURNING name, epoch, seq',
      [room, randomId('e')],
    );
    const state = rows[0];
    if (!state) throw new Error(`room ${room} does not exist`);
    return state;
  }

  async listRooms(query: RoomQuery): Promise<RoomListing> {
    const { rows } = await this.pool.query<RoomState>({
      name: 'tether_rooms',
      // Names are ASCII and compared by bytes: a prefix is the range [prefix, prefix + DEL).
      text:
        'SELECT name, epoch, seq FROM rooms WHERE name > $1 AND name >= $2 AND name < $3 ' +
        'AND (seq > 0 OR touched_at >= $4) ORDER BY name LIMIT $5',
      values: [query.after ?? '', query.prefix, `${query.prefix}\u007f`, query.activeSince, query.limit + 1],
    });
    const hasMore = rows.length > query.limit;
    return { rooms: hasMore ? rows.slice(0, query.limit) : rows, hasMore };
  }

  async idleEmptyRooms(idleBefore: number, limit: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ name: string }>(
      'SELECT name FROM rooms WHERE seq = 0 AND touched_at < $1 LIMIT $2',
      [idleBefore, limit],
    );
    return rows.map((row) => row.name);
  }

  async sweep(plan: SweepPlan): Promise<SweepResult> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const users = await client.query(
        'DELETE FROM users WHERE expires_at < $1 AND NOT (id = ANY($2::text[]))',
        [plan.usersExpiredBefore, plan.liveUsers],
      );
      const rooms = await client.query(
        'DELETE FROM rooms WHERE name = ANY($1::text[]) AND seq = 0 AND touched_at < $2',
        [plan.emptyRooms, plan.emptyRoomsIdleBefore],
      );
      let messages = 0;
      const { retention } = plan;
      const overridden = [...retention.rooms.keys()];
      if (retention.default !== undefined) {
        await client.query(
          'DELETE FROM reactions r USING messages m WHERE r.room = m.room AND r.seq = m.seq ' +
            'AND m.ts < $1 AND NOT (m.room = ANY($2::text[]))',
          [retention.default, overridden],
        );
        const trimmed = await client.query(
          'DELETE FROM messages WHERE ts < $1 AND NOT (room = ANY($2::text[]))',
          [retention.default, overridden],
        );
        messages += trimmed.rowCount ?? 0;
      }
      for (const [room, before] of retention.rooms) {
        await client.query(
          'DELETE FROM reactions r USING messages m WHERE r.room = m.room AND r.seq = m.seq ' +
            'AND m.room = $1 AND m.ts < $2',
          [room, before],
        );
        const trimmed = await client.query('DELETE FROM messages WHERE room = $1 AND ts < $2', [
          room,
          before,
        ]);
        messages += trimmed.rowCount ?? 0;
      }
      await client.query('COMMIT');
      return { users: users.rowCount ?? 0, rooms: rooms.rowCount ?? 0, messages };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  // ---------------------------------------------------------------- messages

  append(message: NewMessage): Promise<AppendOutcome> {
    return this.group.append(message);
  }

  change(change: NewChange): Promise<ChangeOutcome> {
    return this.group.change(change);
  }

  async findAck(userId: string, id: string): Promise<AckRecord | null> {
    const { rows } = await this.pool.query<AckRecord>({
      name: 'tether_ack',
      text:
        'SELECT room, client_id AS id, seq, ts FROM changes WHERE user_id = $1 AND client_id = $2 ' +
        'UNION ALL SELECT room, client_id, seq, ts FROM messages WHERE user_id = $1 AND client_id = $2',
      values: [userId, id],
    });
    return rows[0] ?? null;
  }

  async message(room: string, seq: number): Promise<Message | null> {
    const { rows } = await this.pool.query<MessageRow>({
      name: 'tether_message',
      text: READS.tether_message,
      values: [room, seq],
    });
    const row = rows[0];
    return row ? toMessage(row) : null;
  }

  async events(room: string, since: number, limit: number): Promise<RoomEvent[]> {
    const { rows } = await this.pool.query<
      (MessageRow & { event_seq: number }) | { event_seq: number; seq: null }
    >({
      name: 'tether_events',
      text: READS.tether_events,
      values: [room, since, limit],
    });
    return rows.map((row): RoomEvent => {
      // A message removed by retention since: its change has nothing left to show.
      if (row.seq === null) return { kind: 'gone', seq: row.event_seq };
      const message = toMessage(row);
      return row.event_seq === row.seq
        ? { kind: 'message', message }
        : { kind: 'update', seq: row.event_seq, message };
    });
  }

  async latest(room: string, limit: number): Promise<MessagePage> {
    const { rows } = await this.pool.query<MessageRow>({
      name: 'tether_latest',
      text: READS.tether_latest,
      values: [room, limit + 1],
    });
    return page(rows, limit);
  }

  async after(room: string, since: number, limit: number): Promise<MessagePage> {
    const { rows } = await this.pool.query<MessageRow>({
      name: 'tether_after',
      text: READS.tether_after,
      values: [room, since, limit + 1],
    });
    return page(rows, limit);
  }

  async before(room: string, before: number, limit: number): Promise<MessagePage> {
    const { rows } = await this.pool.query<MessageRow>({
      name: 'tether_before',
      text: READS.tether_before,
      values: [room, before, limit + 1],
    });
    return page(rows, limit);
  }

  async check(): Promise<void> {
    // A write, not a read: "ready" means an ack can be given again.
    await this.pool.query('SELECT txid_current()');
    this.group.lastFailed = false;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // What is pending is committed before the pool closes.
    await this.group.close();
    await this.pool.end();
  }
}
