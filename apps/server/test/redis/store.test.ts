/**
 * The Redis store on its own, against a real redis-server: what a server
 * above it cannot make happen on purpose.
 */
import { randomBytes } from 'node:crypto';

import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { RedisKeys } from '../../src/redis/keys.js';
import { RedisStore } from '../../src/redis/store.js';
import { startRedisServer, type RedisServer } from '../helpers/redis.js';

let redis: RedisServer;
let client: Redis;

beforeAll(async () => {
  redis = await startRedisServer();
  client = new Redis(redis.url, { lazyConnect: true });
  await client.connect();
});
afterAll(async () => {
  client.disconnect();
  await redis.dispose();
});

function store(): RedisStore {
  return new RedisStore(
    client,
    {
      keys: new RedisKeys(`s${randomBytes(5).toString('hex')}:`),
      historyMax: 1000,
      tokenTtlMs: 86_400_000,
      nodeId: 'n1',
    },
    pino({ level: 'silent' }),
  );
}

describe('RedisStore names', () => {
  it('stores a message under the name its sender holds at the commit, not the one the caller knew', async () => {
    const s = store();
    const user = await s.createUser({
      now: 1,
      name: 'alice',
      nameKey: 'alice',
      tokenHash: 'h',
      expiresAt: 1e15,
    });
    expect(await s.renameUser(user!.id, 'alicia', 'alicia')).toBe(true);
    // The connection that sends still knows her as alice.
    const outcome = await s.append({
      room: 'general',
      id: 'm1',
      from: { id: user!.id, name: 'alice' },
      text: 'hi',
      ts: 3,
    });
    expect(outcome).toMatchObject({ kind: 'stored', message: { from: { id: user!.id, name: 'alicia' } } });
    expect((await s.latest('general', 1)).messages[0]?.from).toEqual({ id: user!.id, name: 'alicia' });
  });

  it('keeps names with quotes, backslashes and non-ASCII intact in the stored JSON', async () => {
    const s = store();
    const name = 'a "q" \\ /é 张';
    const user = await s.createUser({ now: 1, name, nameKey: 'k', tokenHash: 'h2', expiresAt: 1e15 });
    await s.append({ room: 'general', id: 'm1', from: user!, text: 'hi', ts: 3 });
    expect((await s.latest('general', 1)).messages[0]?.from).toEqual({ id: user!.id, name });
  });
});
