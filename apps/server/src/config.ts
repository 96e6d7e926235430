/**
 * Server configuration, parsed and validated once at start from the
 * environment variables of PROTOCOL.md. A bad value is a `ConfigError` whose
 * message is one line naming the variable and what it expects.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { DEFAULTS } from '@tether/protocol';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  port: number;
  host: string;
  databasePath: string;
  redisUrl: string | undefined;
  /** Prefix of every Redis key and channel, so several chats can share one Redis. */
  redisPrefix: string;
  /** Messages kept per room in Redis (SQLite keeps all). */
  historyMax: number;
  /** Extra browser origins allowed to open the WebSocket, normalised (`new URL(x).origin`). */
  allowedOrigins: readonly string[];
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  helloTimeoutMs: number;
  presenceGraceMs: number;
  maxConnections: number;
  tokenTtlDays: number;
  rateLimitPerSec: number;
  rateLimitBurst: number;
  logLevel: LogLevel;
  /** Folder of the built web UI (`apps/web/dist`). */
  staticDir: string;
}

type Env = Readonly<Record<string, string | undefined>>;

const DEFAULT_STATIC_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/dist');

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const value = /^-?\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function origins(env: Env, name: string): string[] {
  const raw = env[name]?.trim();
  if (!raw) return [];
  return raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      let url: URL;
      try {
        url = new URL(entry);
      } catch {
        throw new ConfigError(
          `${name} must be a comma-separated list of origins like https://chat.example.com, got ${JSON.stringify(entry)}`,
        );
      }
      if (
        (url.protocol !== 'http:' && url.protocol !== 'https:') ||
        url.pathname !== '/' ||
        url.search ||
        url.hash
      ) {
        throw new ConfigError(
          `${name} must be a comma-separated list of origins like https://chat.example.com (scheme, host and port only), got ${JSON.stringify(entry)}`,
        );
      }
      return url.origin;
    });
}

function redisUrl(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be a URL like redis://127.0.0.1:6379, got ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new ConfigError(`${name} must be a redis:// or rediss:// URL, got ${JSON.stringify(raw)}`);
  }
  return raw;
}

function redisPrefix(env: Env, name: string): string {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return 'tether:';
  if (!/^[A-Za-z0-9:_.-]{1,64}$/.test(raw)) {
    throw new ConfigError(
      `${name} must be 1-64 of A-Z, a-z, 0-9, ':', '_', '.', '-', got ${JSON.stringify(raw)}`,
    );
  }
  return raw;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const found = allowed.find((value) => value === raw.toLowerCase());
  if (!found)
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(raw)}`);
  return found;
}

function text(env: Env, name: string, fallback: string): string {
  const raw = env[name]?.trim();
  return raw ? raw : fallback;
}

const HOUR_MS = 3_600_000;

/** Parses the environment; throws `ConfigError` on the first bad value. */
export function loadConfig(env: Env): Config {
  return {
    port: integer(env, 'PORT', 3000, 0, 65_535),
    host: text(env, 'HOST', '0.0.0.0'),
    databasePath: text(env, 'DATABASE_PATH', 'data/chat.db'),
    redisUrl: redisUrl(env, 'REDIS_URL'),
    redisPrefix: redisPrefix(env, 'REDIS_PREFIX'),
    historyMax: integer(env, 'HISTORY_MAX', 10_000, 100, 10_000_000),
    allowedOrigins: origins(env, 'ALLOWED_ORIGINS'),
    heartbeatIntervalMs: integer(env, 'HEARTBEAT_INTERVAL_MS', DEFAULTS.HEARTBEAT_INTERVAL_MS, 10, HOUR_MS),
    heartbeatTimeoutMs: integer(env, 'HEARTBEAT_TIMEOUT_MS', DEFAULTS.HEARTBEAT_TIMEOUT_MS, 10, HOUR_MS),
    helloTimeoutMs: integer(env, 'HELLO_TIMEOUT_MS', DEFAULTS.HELLO_TIMEOUT_MS, 10, HOUR_MS),
    presenceGraceMs: integer(env, 'PRESENCE_GRACE_MS', DEFAULTS.PRESENCE_GRACE_MS, 0, HOUR_MS),
    maxConnections: integer(env, 'MAX_CONNECTIONS', DEFAULTS.MAX_CONNECTIONS, 1, 10_000_000),
    tokenTtlDays: integer(env, 'TOKEN_TTL_DAYS', DEFAULTS.TOKEN_TTL_DAYS, 1, 3650),
    rateLimitPerSec: integer(env, 'RATE_LIMIT_PER_SEC', DEFAULTS.RATE_LIMIT_PER_SEC, 1, 1_000_000),
    rateLimitBurst: integer(env, 'RATE_LIMIT_BURST', DEFAULTS.RATE_LIMIT_BURST, 1, 1_000_000),
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    staticDir: path.resolve(text(env, 'STATIC_DIR', DEFAULT_STATIC_DIR)),
  };
}
