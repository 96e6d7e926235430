/**
 * Redis for several server processes: it holds users, tokens, rooms and
 * history (RedisStore), carries events between processes (RedisBus) and
 * tracks who is in which room on which process (RedisMembership).
 */
import type { Logger } from 'pino';

import type { Bus, ChatStore, Clock, MembershipDirectory } from '../chat/ports.js';
import { randomId } from '../util/ids.js';
import { RedisBus } from './bus.js';
import { connectRedis, redactUrl, whenReady } from './connection.js';

export { redactUrl } from './connection.js';
import { RedisKeys } from './keys.js';
import { RedisMembership } from './membership.js';
import { RedisStore } from './store.js';

export interface RedisOptions {
  url: string;
  /** Prefix of every key and the channel, so several chats can share one Redis. */
  prefix: string;
  /** Messages kept per room. */
  historyMax: number;
  tokenTtlMs: number;
  presenceGraceMs: number;
  /** How long to wait for Redis at start. */
  connectTimeoutMs: number;
  clock: Clock;
  log: Logger;
}

export interface RedisBackend {
  store: ChatStore;
  bus: Bus;
  membership: MembershipDirectory;
  /** Names this process in the bus envelope and the membership entries. */
  nodeId: string;
  /** Closes both connections. */
  close(): Promise<void>;
}

/** Connects (commands and a subscriber connection), subscribes, and checks Redis's durability settings. */
export async function redisBackend(options: RedisOptions): Promise<RedisBackend> {
  const { url, log } = options;
  const commands = connectRedis(url, log, 'commands');
  const subscriber = connectRedis(url, log, 'subscriber');
  try {
    await Promise.all([
      whenReady(commands, options.connectTimeoutMs),
      whenReady(subscriber, options.connectTimeoutMs),
    ]);
  } catch (error) {
    commands.disconnect();
    subscriber.disconnect();
    throw new Error(
      `could not reach redis at ${redactUrl(url)}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const keys = new RedisKeys(options.prefix);
  const nodeId = randomId('n');
  const bus = new RedisBus(commands, subscriber, keys, nodeId, log);
  const store = new RedisStore(
    commands,
    { keys, historyMax: options.historyMax, tokenTtlMs: options.tokenTtlMs, nodeId },
    log,
  );
  const membership = new RedisMembership(
    commands,
    { keys, nodeId, graceMs: options.presenceGraceMs, clock: options.clock },
    log,
  );
  await bus.start();
  await store.checkDurability().catch((error: unknown) => {
    log.warn({ err: error }, 'could not read redis persistence settings (CONFIG GET refused?)');
  });
  return {
    store,
    bus,
    membership,
    nodeId,
    close: async () => {
      await Promise.allSettled([commands.quit(), subscriber.quit()]);
    },
  };
}
