/**
 * Chooses the adapters behind the chat's ports from the configuration: one
 * function per technology does the wiring, this file only picks.
 *
 * - The store: PostgreSQL with `DATABASE_URL`, else the SQLite file.
 * - The bus and the membership directory: Redis with `REDIS_URL` (several
 *   processes), else in-process (one process needs no bus and keeps
 *   members in a map).
 */
import type { Logger } from 'pino';

import type { Bus, ChatStore, Clock, MembershipDirectory } from './chat/ports.js';
import type { Config } from './config.js';
import { localFanout } from './local/index.js';
import { sqliteBackend } from './sqlite/index.js';

export interface Backend {
  store: ChatStore;
  bus: Bus;
  membership: MembershipDirectory;
  /** What to log about it at start (no secrets). */
  describe: Record<string, string>;
  /** Releases what the wiring opened beyond the three parts (connections). */
  close(): Promise<void>;
}

export interface BackendOptions {
  clock: Clock;
  log: Logger;
  /** How long to wait for PostgreSQL and Redis at start. */
  connectTimeoutMs: number;
  /** Parts given instead of the configured ones (tests: a store that fails on purpose). */
  replace?: Partial<Pick<Backend, 'store' | 'bus' | 'membership'>>;
}

/** A part with nothing of its own to release. */
const noClose = (): Promise<void> => Promise.resolve();

interface Part<T> {
  value: T;
  describe: Record<string, string>;
  close: () => Promise<void>;
}

async function openStore(config: Config, options: BackendOptions): Promise<Part<ChatStore>> {
  if (options.replace?.store) return { value: options.replace.store, describe: {}, close: noClose };
  if (config.databaseUrl) {
    // Loaded only when used: a single SQLite server does not pay for pg at start.
    const { postgresBackend, redactUrl } = await import('./postgres/index.js');
    const { store } = await postgresBackend({
      url: config.databaseUrl,
      poolSize: config.databasePoolSize,
      connectTimeoutMs: options.connectTimeoutMs,
      log: options.log,
    });
    // The store closes itself (ChatStore.close); nothing more to release here.
    return { value: store, describe: { database: redactUrl(config.databaseUrl) }, close: noClose };
  }
  return {
    value: sqliteBackend(config.databasePath).store,
    describe: { database: config.databasePath },
    close: noClose,
  };
}

async function openFanout(
  config: Config,
  options: BackendOptions,
): Promise<Part<{ bus: Bus; membership: MembershipDirectory }>> {
  if (config.redisUrl) {
    // Loaded only when used: ioredis and the Redis adapters cost a single
    // server about 100 ms of every start.
    const { redisBackend, redactUrl } = await import('./redis/index.js');
    const redis = await redisBackend({
      url: config.redisUrl,
      prefix: config.redisPrefix,
      presenceGraceMs: config.presenceGraceMs,
      connectTimeoutMs: options.connectTimeoutMs,
      clock: options.clock,
      log: options.log,
    });
    return {
      value: { bus: redis.bus, membership: redis.membership },
      describe: { redis: redactUrl(config.redisUrl), node: redis.nodeId },
      close: () => redis.close(),
    };
  }
  const local = localFanout();
  return { value: local, describe: {}, close: noClose };
}

export async function openBackend(config: Config, options: BackendOptions): Promise<Backend> {
  const { replace = {} } = options;
  const store = await openStore(config, options);
  let fanout: Part<{ bus: Bus; membership: MembershipDirectory }>;
  try {
    fanout = await openFanout(config, options);
  } catch (error) {
    await store.value.close().catch(() => undefined);
    throw error;
  }
  return {
    store: store.value,
    bus: replace.bus ?? fanout.value.bus,
    membership: replace.membership ?? fanout.value.membership,
    describe: { ...store.describe, ...fanout.describe },
    close: async () => {
      await Promise.allSettled([store.close(), fanout.close()]);
    },
  };
}
