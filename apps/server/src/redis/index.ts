/**
 * Redis for several server processes: it carries events between processes
 * (RedisBus) and tracks who is in which room on which process
 * (RedisMembership). It holds no chat data (PostgreSQL does), so it needs no
 * persistence: after a Redis restart, presence is rebuilt by the processes'
 * regular refresh and missed events are caught up from the store.
 */
import type { Logger } from 'pino';

import type { Bus, Clock, MembershipDirectory } from '../chat/ports.js';
import { randomId } from '../util/ids.js';
import { RedisBus } from './bus.js';
import { connectRedis, redactUrl, whenReady } from './connection.js';

export { redactUrl } from './connection.js';
import { RedisKeys } from './keys.js';
import { RedisMembership } from './membership.js';

export interface RedisOptions {
  url: string;
  /** Prefix of every key and the channel, so several chats can share one Redis. */
  prefix: string;
  presenceGraceMs: number;
  /** How long to wait for Redis at start. */
  connectTimeoutMs: number;
  clock: Clock;
  log: Logger;
}

export interface RedisBackend {
  bus: Bus;
  membership: MembershipDirectory;
  /** Names this process in the bus envelope and the membership entries. */
  nodeId: string;
  /** Closes both connections. */
  close(): Promise<void>;
}

/** Connects (commands and a subscriber connection) and subscribes. */
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
  const membership = new RedisMembership(
    commands,
    { keys, nodeId, graceMs: options.presenceGraceMs, clock: options.clock },
    log,
  );
  await bus.start();
  return {
    bus,
    membership,
    nodeId,
    close: async () => {
      await Promise.allSettled([commands.quit(), subscriber.quit()]);
    },
  };
}
