/**
 * Chooses the adapters behind the chat's ports from the configuration: one
 * function per technology does the wiring, this file only picks.
 *
 * - Without `REDIS_URL`: SQLite stores, and one process needs no bus and
 *   keeps members in a map.
 * - With `REDIS_URL`: Redis stores, carries events between processes and
 *   keeps members with expiring entries.
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
  /** How long to wait for Redis at start. */
  redisConnectTimeoutMs: number;
  /** Parts given instead of the configured ones (tests: a store that fails on purpose). */
  replace?: Partial<Pick<Backend, 'store' | 'bus' | 'membership'>>;
}

export async function openBackend(config: Config, options: BackendOptions): Promise<Backend> {
  const { replace = {} } = options;
  if (config.redisUrl) {
    // Loaded only when used: ioredis and the Redis adapters cost a single
    // server about 100 ms of every start.
    const { redisBackend, redactUrl } = await import('./redis/index.js');
    const redis = await redisBackend({
      url: config.redisUrl,
      prefix: config.redisPrefix,
      historyMax: config.historyMax,
      tokenTtlMs: config.tokenTtlDays * 86_400_000,
      presenceGraceMs: config.presenceGraceMs,
      connectTimeoutMs: options.redisConnectTimeoutMs,
      clock: options.clock,
      log: options.log,
    });
    return {
      store: replace.store ?? redis.store,
      bus: replace.bus ?? redis.bus,
      membership: replace.membership ?? redis.membership,
      describe: { redis: redactUrl(config.redisUrl), node: redis.nodeId },
      close: () => redis.close(),
    };
  }
  const local = localFanout();
  return {
    store: replace.store ?? sqliteBackend(config.databasePath).store,
    bus: replace.bus ?? local.bus,
    membership: replace.membership ?? local.membership,
    describe: { database: config.databasePath },
    close: () => Promise.resolve(),
  };
}
