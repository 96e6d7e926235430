/**
 * Room membership across processes in Redis: one sorted set per room whose
 * entries are (process, user) pairs scored by their expiry time. Each process
 * refreshes its own entries; those of a process that died expire on their
 * own, so its members leave within the presence grace period.
 */
import type { User } from '@tether/protocol';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

import type { Clock, MembershipDirectory } from '../chat/ports.js';
import type { RedisKeys } from './keys.js';

export interface RedisMembershipOptions {
  keys: RedisKeys;
  nodeId: string;
  graceMs: number;
  clock: Clock;
}

type Entry = [node: string, id: string, name: string];

export class RedisMembership implements MembershipDirectory {
  readonly shared = true;
  /** This process's entries: room → user id → the member string stored. */
  private readonly mine = new Map<string, Map<string, string>>();
  private readonly refreshTimer: NodeJS.Timeout;
  private readonly ttlMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly options: RedisMembershipOptions,
    private readonly log: Logger,
  ) {
    const refreshMs = Math.max(250, Math.floor(options.graceMs / 4));
    this.ttlMs = Math.max(Math.floor(options.graceMs / 2), 3 * refreshMs);
    this.refreshTimer = setInterval(() => void this.refresh(), refreshMs);
    this.refreshTimer.unref();
  }

  private key(room: string): string {
    return this.options.keys.presence(room);
  }

  async set(room: string, user: User, present: boolean): Promise<void> {
    let entries = this.mine.get(room);
    const previous = entries?.get(user.id);
    if (present) {
      const member = JSON.stringify([this.options.nodeId, user.id, user.name] satisfies Entry);
      if (!entries) this.mine.set(room, (entries = new Map<string, string>()));
      entries.set(user.id, member);
      if (previous !== undefined && previous !== member) await this.redis.zrem(this.key(room), previous);
      await this.redis.zadd(this.key(room), this.options.clock.now() + this.ttlMs, member);
    } else if (entries && previous !== undefined) {
      entries.delete(user.id);
      if (entries.size === 0) this.mine.delete(room);
      await this.redis.zrem(this.key(room), previous);
    }
  }

  /**
   * Entries already parsed: a room is read whole, again and again while it
   * fills, and parsing each of its thousands of entries every time was a
   * third of a process's CPU then. Bounded: emptied when it reaches
   * PARSED_CACHE_MAX (entries of users who left are never looked up again).
   */
  private readonly parsed = new Map<string, User | null>();

  private parse(rows: string[]): Map<string, User> {
    const users = new Map<string, User>();
    for (const row of rows) {
      let user = this.parsed.get(row);
      if (user === undefined) {
        user = parseEntry(row);
        if (this.parsed.size >= PARSED_CACHE_MAX) this.parsed.clear();
        this.parsed.set(row, user);
      }
      if (user) users.set(user.id, user);
    }
    return users;
  }

  async members(room: string): Promise<User[]> {
    const rows = await this.redis.zrangebyscore(this.key(room), this.options.clock.now(), '+inf');
    return [...this.parse(rows).values()];
  }

  async counts(rooms: readonly string[]): Promise<Map<string, number>> {
    const now = this.options.clock.now();
    const rows = await Promise.all(
      rooms.map((room) => this.redis.zrangebyscore(this.key(room), now, '+inf')),
    );
    return new Map(rooms.map((room, i) => [room, this.parse(rows[i] ?? []).size]));
  }

  /** Pushes this process's entries' expiry forward and drops expired ones: two commands a room. */
  private async refresh(): Promise<void> {
    const now = this.options.clock.now();
    const expiry = now + this.ttlMs;
    try {
      await Promise.all(
        [...this.mine].flatMap(([room, entries]) => [
          this.redis.zadd(this.key(room), ...[...entries.values()].flatMap((member) => [expiry, member])),
          this.redis.zremrangebyscore(this.key(room), '-inf', now),
        ]),
      );
    } catch (error) {
      this.log.debug({ err: error }, 'could not refresh membership');
    }
  }

  close(): Promise<void> {
    // Entries are left to expire: after a restart, clients that reconnect
    // (here or on another process) within the grace period never show as
    // left-and-joined, as with a dropped connection.
    clearInterval(this.refreshTimer);
    this.mine.clear();
    return Promise.resolve();
  }
}

const PARSED_CACHE_MAX = 100_000;

/** A directory entry as the user it names, or null when it is not one of ours. */
function parseEntry(row: string): User | null {
  try {
    const [, id, name] = JSON.parse(row) as Entry;
    return typeof id === 'string' && typeof name === 'string' ? { id, name } : null;
  } catch {
    return null;
  }
}
