/**
 * Starting against PostgreSQL and Redis: the schema is made (or brought up
 * to date) by whichever process comes first, and a database or Redis that
 * cannot be reached stops the start with a line that says which.
 */
import { randomBytes } from 'node:crypto';

import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadConfig } from '../../src/config.js';
import { SCHEMA_VERSION } from '../../src/postgres/schema.js';
import { startServer } from '../../src/server.js';
import { freshSchema, query, startCluster, type PostgresCluster } from '../helpers/postgres.js';
import { startRedisServer, type RedisServer } from '../helpers/redis.js';

let cluster: PostgresCluster;
let redis: RedisServer;

beforeAll(async () => {
  [cluster, redis] = await Promise.all([startCluster(), startRedisServer()]);
});
afterAll(async () => {
  await Promise.allSettled([cluster.stop(), redis.dispose()]);
});

const silent = pino({ level: 'silent' });

describe('starting on PostgreSQL', () => {
  it('creates the schema once when three processes start together, and each serves', async () => {
    const url = await freshSchema(cluster.url);
    const env = {
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: url,
      REDIS_URL: redis.url,
      REDIS_PREFIX: `s${randomBytes(4).toString('hex')}:`,
    };
    const servers = await Promise.all([1, 2, 3].map(() => startServer(loadConfig(env), { log: silent })));
    try {
      expect(await query(url, 'SELECT version FROM tether_schema')).toEqual([{ version: SCHEMA_VERSION }]);
      for (const server of servers) expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    } finally {
      await Promise.all(servers.map((server) => server.close()));
    }
  });

  it('refuses a database made by a newer Tether, saying so', async () => {
    const url = await freshSchema(cluster.url);
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATABASE_URL: url });
    const first = await startServer(config, { log: silent });
    await first.close();
    await query(url, 'UPDATE tether_schema SET version = $1', [SCHEMA_VERSION + 1]);
    await expect(startServer(config, { log: silent })).rejects.toThrow(
      `the database is at schema version ${SCHEMA_VERSION + 1}, newer than this server's ${SCHEMA_VERSION}`,
    );
  });

  it('stops with a clear error, without the password, when PostgreSQL cannot be reached', async () => {
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: 'postgres://tether:secret@127.0.0.1:1/tether',
    });
    const failure = startServer(config, { log: silent, connectTimeoutMs: 500 });
    await expect(failure).rejects.toThrow(
      /^could not prepare postgres at postgres:\/\/tether:\*\*\*@127\.0\.0\.1:1\/tether/,
    );
    await expect(failure).rejects.not.toThrow(/secret/);
  });

  it('stops with a clear error when Redis cannot be reached', async () => {
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: await freshSchema(cluster.url),
      REDIS_URL: 'redis://127.0.0.1:1',
    });
    await expect(startServer(config, { log: silent, connectTimeoutMs: 500 })).rejects.toThrow(
      /^could not reach redis at redis:\/\/127\.0\.0\.1:1/,
    );
  });
});
