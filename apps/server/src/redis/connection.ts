/**
 * Redis connections as Tether uses them: fail fast while disconnected (a
 * send gets `internal` instead of waiting in a queue, and is never acked),
 * reconnect with capped backoff, and log state changes once.
 */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';

export function connectRedis(url: string, log: Logger, role: string): Redis {
  const redis = new Redis(url, {
    // Commands made while disconnected fail at once rather than pile up.
    enableOfflineQueue: false,
    // Commands issued in the same tick share one write: one round trip for a burst.
    enableAutoPipelining: true,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 5), 2000),
    lazyConnect: false,
  });
  let up = false;
  redis.on('ready', () => {
    if (!up) log.info({ role }, 'redis connected');
    up = true;
  });
  redis.on('error', (error: Error) => {
    if (up) log.warn({ role, err: error.message }, 'redis connection lost; reconnecting');
    up = false;
  });
  return redis;
}

/** Resolves once the connection is ready, rejects after `timeoutMs`. */
export function whenReady(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      reject(new Error(`redis did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = (): void => {
      clearTimeout(timer);
      resolve();
    };
    redis.once('ready', onReady);
  });
}

/** A Redis URL without its password, for logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'redis://…';
  }
}
