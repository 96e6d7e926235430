/** Redis persistence settings decide whether "acked is never lost" holds: the server says so at start. */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';

import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';

import { loadConfig } from '../../src/config.js';
import { startServer } from '../../src/server.js';
import { startRedisServer, type RedisServer } from '../helpers/redis.js';

let redis: RedisServer | undefined;
afterEach(async () => {
  await redis?.dispose();
  redis = undefined;
});

/** Starts a node against `redis` and returns the warnings it logged while starting. */
async function startupWarnings(url: string): Promise<string[]> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const log = pino({ level: 'warn' }, sink);
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    REDIS_URL: url,
    REDIS_PREFIX: `d${randomBytes(4).toString('hex')}:`,
  });
  const server = await startServer(config, { log });
  await server.close();
  return lines.map((line) => (JSON.parse(line) as { msg: string }).msg);
}

describe('redis durability check at start', () => {
  it('warns that about a second of acks can be lost with appendfsync everysec', async () => {
    redis = await startRedisServer({ appendfsync: 'everysec' });
    const warnings = await startupWarnings(redis.url);
    expect(warnings.some((w) => w.includes('appendfsync is everysec'))).toBe(true);
  });

  it('says nothing with appendonly yes and appendfsync always', async () => {
    redis = await startRedisServer({ appendfsync: 'always' });
    expect(await startupWarnings(redis.url)).toEqual([]);
  });

  it('stops with a clear error when redis cannot be reached', async () => {
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', REDIS_URL: 'redis://127.0.0.1:1' });
    await expect(
      startServer(config, { log: pino({ level: 'silent' }), redisConnectTimeoutMs: 500 }),
    ).rejects.toThrow(/^could not reach redis at redis:\/\/127\.0\.0\.1:1/);
  });
});
