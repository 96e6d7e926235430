/**
 * The shared store for several server processes: users, tokens, names,
 * rooms and history in Redis.
 *
 * A `send` is one Lua script, so one round trip: it checks the (user, id)
 * idempotency key, assigns the room's next seq, stores the message, trims
 * the history to `historyMax` and publishes the message to every process.
 * Redis runs scripts one at a time, so seqs have no gaps and the publish
 * order is the seq order.
 *
 * Keys are built inside the scripts from a prefix, so this store expects a
 * single Redis (or a primary with replicas), not Redis Cluster.
 */
import type { Message, User } from '@tether/protocol';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

import type {
  AckRecord,
  AppendOutcome,
  ChatStore,
  MessagePage,
  NewMessage,
  NewUser,
  RoomListing,
  RoomQuery,
  RoomState,
  SweepPlan,
  SweepResult,
} from '../chat/ports.js';
import { randomId } from '../util/ids.js';
import { SEGMENTS, messageEnvelope, type RedisKeys } from './keys.js';

export interface RedisStoreOptions {
  keys: RedisKeys;
  historyMax: number;
  /** How long an idempotency key is kept after the user's last send or hello. */
  tokenTtlMs: number;
  nodeId: string;
}

const CREATE_USER = `
local name, token, user = KEYS[1], KEYS[2], KEYS[3]
if redis.call('EXISTS', name) == 1 then return 0 end
redis.call('SET', name, ARGV[1], 'PXAT', ARGV[5])
redis.call('SET', token, ARGV[1], 'PXAT', ARGV[5])
redis.call('HSET', user, 'name', ARGV[2], 'key', ARGV[3], 'token', ARGV[4])
redis.call('PEXPIREAT', user, ARGV[5])
return 1`;

// A live token keeps its user, its name and its idempotency keys alive.
const RESUME = `
local p, exp = ARGV[1], ARGV[2]
local id = redis.call('GET', KEYS[1])
if not id then return false end
local user = p .. '${SEGMENTS.user}' .. id
local fields = redis.call('HMGET', user, 'name', 'key')
if not fields[1] then return false end
redis.call('PEXPIREAT', KEYS[1], exp)
redis.call('PEXPIREAT', user, exp)
local name = p .. '${SEGMENTS.name}' .. fields[2]
local holder = redis.call('GET', name)
if not holder or holder == id then redis.call('SET', name, id, 'PXAT', exp) end
redis.call('PEXPIREAT', p .. '${SEGMENTS.acks}' .. id, exp)
return {id, fields[1]}`;

// A user in use: their token, record, name and idempotency keys live on.
const TOUCH = `
local p, exp = ARGV[1], ARGV[2]
for i = 3, #ARGV do
  local id = ARGV[i]
  local user = p .. '${SEGMENTS.user}' .. id
  local fields = redis.call('HMGET', user, 'key', 'token')
  if fields[2] then
    redis.call('PEXPIREAT', user, exp)
    redis.call('PEXPIREAT', p .. '${SEGMENTS.token}' .. fields[2], exp)
    redis.call('PEXPIREAT', p .. '${SEGMENTS.acks}' .. id, exp)
    local name = p .. '${SEGMENTS.name}' .. fields[1]
    if redis.call('GET', name) == id then redis.call('PEXPIREAT', name, exp) end
  end
end
return 1`;

const RENAME = `
local p, id, newName, newKey = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local target = p .. '${SEGMENTS.name}' .. newKey
local holder = redis.call('GET', target)
if holder and holder ~= id then return 0 end
local user = p .. '${SEGMENTS.user}' .. id
local exp = redis.call('PEXPIRETIME', user)
if exp < 0 then return 0 end
local oldKey = redis.call('HGET', user, 'key')
if oldKey and oldKey ~= newKey and redis.call('GET', p .. '${SEGMENTS.name}' .. oldKey) == id then
  redis.call('DEL', p .. '${SEGMENTS.name}' .. oldKey)
end
redis.call('SET', target, id, 'PXAT', exp)
redis.call('HSET', user, 'name', newName, 'key', newKey)
return 1`;

// An empty room records when it was last joined: it is swept once idle.
const OPEN_ROOM = `
redis.call('HSETNX', KEYS[1], 'epoch', ARGV[2])
redis.call('HSETNX', KEYS[1], 'seq', 0)
if redis.call('HGET', KEYS[1], 'seq') == '0' then redis.call('HSET', KEYS[1], 'touched', ARGV[3]) end
redis.call('SADD', KEYS[2], ARGV[1])
return redis.call('HMGET', KEYS[1], 'epoch', 'seq')`;

// Deletes a room that still holds no message and nobody joined since ARGV[2].
const DELETE_IDLE_ROOM = `
local fields = redis.call('HMGET', KEYS[1], 'seq', 'touched')
if fields[1] ~= '0' or tonumber(fields[2] or '0') >= tonumber(ARGV[2]) then return 0 end
redis.call('DEL', KEYS[1], KEYS[3])
redis.call('SREM', KEYS[2], ARGV[1])
return 1`;

// The message JSON is built by the caller around the seq and the sender's
// name (ARGV[3] .. seq .. ARGV[4] .. name .. ARGV[12]), so the script never
// re-encodes text. The name is the one the sender holds now, read here: a
// rename on another connection a moment before wins over the name the
// session had. The message is published in the bus envelope (ARGV[10] ..
// message .. ARGV[11], see keys.ts).
const APPEND = `
local acks, room, msgs, rooms, user = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local id, roomName = ARGV[1], ARGV[2]
local earlier = redis.call('HGET', acks, id)
if earlier then return {0, earlier} end
redis.call('HSETNX', room, 'epoch', ARGV[8])
redis.call('SADD', rooms, roomName)
local seq = redis.call('HINCRBY', room, 'seq', 1)
local name = redis.call('HGET', user, 'name') or ARGV[13]
local message = ARGV[3] .. seq .. ARGV[4] .. cjson.encode(name) .. ARGV[12]
redis.call('ZADD', msgs, seq, message)
local size = redis.call('ZCARD', msgs)
local max = tonumber(ARGV[5])
if size > max then redis.call('ZREMRANGEBYRANK', msgs, 0, size - max - 1) end
redis.call('HSET', acks, id, roomName .. ' ' .. seq .. ' ' .. ARGV[6])
redis.call('PEXPIRE', acks, ARGV[7])
redis.call('PUBLISH', ARGV[9], ARGV[10] .. message .. ARGV[11])
return {1, seq, name}`;

type ScriptReply = [number, string | number, string?];

function parseAck(id: string, stored: string): AckRecord {
  const [room = '', seq = '0', ts = '0'] = stored.split(' ');
  return { room, id, seq: Number(seq), ts: Number(ts) };
}

function page(newestFirst: string[], limit: number): MessagePage {
  const hasMore = newestFirst.length > limit;
  const rows = hasMore ? newestFirst.slice(0, limit) : newestFirst;
  return { messages: rows.reverse().map((row) => JSON.parse(row) as Message), hasMore };
}

export class RedisStore implements ChatStore {
  private readonly keys: RedisKeys;
  private readonly envelope: { head: string; tail: string };

  constructor(
    private readonly redis: Redis,
    private readonly options: RedisStoreOptions,
    private readonly log: Logger,
  ) {
    this.keys = options.keys;
    this.envelope = messageEnvelope(options.nodeId);
    redis.defineCommand('tetherCreateUser', { numberOfKeys: 3, lua: CREATE_USER });
    redis.defineCommand('tetherResume', { numberOfKeys: 1, lua: RESUME });
    redis.defineCommand('tetherRename', { numberOfKeys: 0, lua: RENAME });
    redis.defineCommand('tetherTouch', { numberOfKeys: 0, lua: TOUCH });
    redis.defineCommand('tetherOpenRoom', { numberOfKeys: 2, lua: OPEN_ROOM });
    redis.defineCommand('tetherDeleteIdleRoom', { numberOfKeys: 3, lua: DELETE_IDLE_ROOM });
    redis.defineCommand('tetherAppend', { numberOfKeys: 5, lua: APPEND });
  }

  /** Warns when Redis's persistence settings cannot keep the "acked is never lost" promise. */
  async checkDurability(): Promise<void> {
    const [, appendonly] = (await this.redis.config('GET', 'appendonly')) as [string, string];
    const [, appendfsync] = (await this.redis.config('GET', 'appendfsync')) as [string, string];
    if (appendonly !== 'yes') {
      this.log.warn(
        { appendonly },
        'redis has appendonly off: acked messages since the last snapshot are lost if redis stops; set appendonly yes and appendfsync always',
      );
    } else if (appendfsync !== 'always') {
      this.log.warn(
        { appendfsync },
        `redis appendfsync is ${appendfsync}: up to about one second of acked messages can be lost on a power failure; set appendfsync always for the full promise`,
      );
    }
  }

  /** Runs a script defined with `defineCommand` (EVALSHA, falling back to EVAL once). */
  private call<T>(script: string, ...args: (string | number)[]): Promise<T> {
    // defineCommand adds methods that ioredis's types cannot know about.
    const run = (
      this.redis as unknown as Record<string, ((...a: (string | number)[]) => Promise<T>) | undefined>
    )[script];
    if (!run) throw new Error(`redis script ${script} is not defined`);
    return run.apply(this.redis, args);
  }

  async createUser(input: NewUser): Promise<User | null> {
    const id = randomId('u');
    const created = await this.call<number>(
      'tetherCreateUser',
      this.keys.name(input.nameKey),
      this.keys.token(input.tokenHash),
      this.keys.user(id),
      id,
      input.name,
      input.nameKey,
      input.tokenHash,
      input.expiresAt,
    );
    return created === 1 ? { id, name: input.name } : null;
  }

  async resumeSession(tokenHash: string, _now: number, expiresAt: number): Promise<User | null> {
    const found = await this.call<[string, string] | null>(
      'tetherResume',
      this.keys.token(tokenHash),
      this.keys.prefix,
      expiresAt,
    );
    return found ? { id: found[0], name: found[1] } : null;
  }

  touchUsers(userIds: readonly string[], expiresAt: number): void {
    if (userIds.length === 0) return;
    this.call<number>('tetherTouch', this.keys.prefix, expiresAt, ...userIds).catch((error: unknown) => {
      // The next touch (or hello) tries again; the expiry is a day or more away.
      this.log.debug({ err: error }, 'could not touch users');
    });
  }

  async renameUser(userId: string, name: string, nameKey: string): Promise<boolean> {
    return (await this.call<number>('tetherRename', this.keys.prefix, userId, name, nameKey)) === 1;
  }

  async openRoom(room: string, now: number): Promise<RoomState> {
    const [epoch, seq] = await this.call<[string, string]>(
      'tetherOpenRoom',
      this.keys.room(room),
      this.keys.rooms(),
      room,
      randomId('e'),
      now,
    );
    return { name: room, epoch, seq: Number(seq) };
  }

  async newEpoch(room: string): Promise<RoomState> {
    const epoch = randomId('e');
    await this.redis.hset(this.keys.room(room), 'epoch', epoch);
    return (await this.findRoom(room)) ?? { name: room, epoch, seq: 0 };
  }

  async findRoom(room: string): Promise<RoomState | null> {
    const [epoch, seq] = await this.redis.hmget(this.keys.room(room), 'epoch', 'seq');
    return typeof epoch === 'string' ? { name: room, epoch, seq: Number(seq ?? 0) } : null;
  }

  /** seq and last join of each room, read in one pipelined round. */
  private async roomFields(
    names: readonly string[],
  ): Promise<{ name: string; epoch: string; seq: number; touched: number }[]> {
    const rows = await Promise.all(
      names.map((name) => this.redis.hmget(this.keys.room(name), 'epoch', 'seq', 'touched')),
    );
    return names.map((name, i) => {
      const [epoch, seq, touched] = rows[i] ?? [];
      return { name, epoch: epoch ?? '', seq: Number(seq ?? 0), touched: Number(touched ?? 0) };
    });
  }

  /**
   * Reads the set of room names and pages it here: O(rooms) per page, which
   * the room creation budget keeps in bounds. (A database store pages with an
   * index instead.)
   */
  async listRooms(query: RoomQuery): Promise<RoomListing> {
    const after = query.after ?? '';
    const names = (await this.redis.smembers(this.keys.rooms()))
      .filter((name) => name > after && name.startsWith(query.prefix))
      .sort();
    const rooms: RoomState[] = [];
    for (let at = 0; at < names.length && rooms.length <= query.limit; at += query.limit + 1) {
      for (const room of await this.roomFields(names.slice(at, at + query.limit + 1))) {
        if (room.seq > 0 || room.touched >= query.activeSince)
          rooms.push({ name: room.name, epoch: room.epoch, seq: room.seq });
      }
    }
    const hasMore = rooms.length > query.limit;
    return { rooms: hasMore ? rooms.slice(0, query.limit) : rooms, hasMore };
  }

  async idleEmptyRooms(idleBefore: number, limit: number): Promise<string[]> {
    const rooms = await this.roomFields(await this.redis.smembers(this.keys.rooms()));
    return rooms
      .filter((room) => room.seq === 0 && room.touched < idleBefore)
      .slice(0, limit)
      .map((room) => room.name);
  }

  /**
   * Users expire on their own (their keys carry the token's expiry). History
   * is capped by HISTORY_MAX, not by age: retention by days needs a database
   * store.
   */
  async sweep(plan: SweepPlan): Promise<SweepResult> {
    let rooms = 0;
    for (const room of plan.emptyRooms) {
      rooms += await this.call<number>(
        'tetherDeleteIdleRoom',
        this.keys.room(room),
        this.keys.rooms(),
        this.keys.messages(room),
        room,
        plan.emptyRoomsIdleBefore,
      );
    }
    return { users: 0, rooms, messages: 0 };
  }

  async append(m: NewMessage): Promise<AppendOutcome> {
    // Everything but the seq, serialised here once.
    const head = `{"room":${JSON.stringify(m.room)},"seq":`;
    const beforeName = `,"ts":${m.ts},"id":${JSON.stringify(m.id)},"from":{"id":${JSON.stringify(m.from.id)},"name":`;
    const afterName = `},"text":${JSON.stringify(m.text)}}`;
    const [stored, value, name] = await this.call<ScriptReply>(
      'tetherAppend',
      this.keys.acks(m.from.id),
      this.keys.room(m.room),
      this.keys.messages(m.room),
      this.keys.rooms(),
      this.keys.user(m.from.id),
      m.id,
      m.room,
      head,
      beforeName,
      this.options.historyMax,
      m.ts,
      this.options.tokenTtlMs,
      randomId('e'),
      this.keys.channel(),
      this.envelope.head,
      this.envelope.tail,
      afterName,
      m.from.name,
    );
    if (stored === 0) return { kind: 'duplicate', ack: parseAck(m.id, String(value)) };
    const seq = Number(value);
    const from = { id: m.from.id, name: name ?? m.from.name };
    return { kind: 'stored', message: { room: m.room, seq, ts: m.ts, id: m.id, from, text: m.text } };
  }

  async findAck(userId: string, id: string): Promise<AckRecord | null> {
    const stored = await this.redis.hget(this.keys.acks(userId), id);
    return stored === null ? null : parseAck(id, stored);
  }

  async latest(room: string, limit: number): Promise<MessagePage> {
    const rows = await this.redis.zrevrangebyscore(
      this.keys.messages(room),
      '+inf',
      '-inf',
      'LIMIT',
      0,
      limit + 1,
    );
    return page(rows, limit);
  }

  async after(room: string, since: number, limit: number): Promise<MessagePage> {
    const rows = await this.redis.zrevrangebyscore(
      this.keys.messages(room),
      '+inf',
      `(${since}`,
      'LIMIT',
      0,
      limit + 1,
    );
    return page(rows, limit);
  }

  async before(room: string, before: number, limit: number): Promise<MessagePage> {
    const rows = await this.redis.zrevrangebyscore(
      this.keys.messages(room),
      `(${before}`,
      '-inf',
      'LIMIT',
      0,
      limit + 1,
    );
    return page(rows, limit);
  }

  async check(): Promise<void> {
    await this.redis.ping();
  }

  close(): Promise<void> {
    // The connection is shared with the bus and membership; the server closes it.
    return Promise.resolve();
  }
}
