/**
 * Server configuration: every operator setting in one table (its variable,
 * default, bounds and meaning), parsed and validated once at start. A bad
 * value is a `ConfigError` whose message is one line naming the variable and
 * what it expects. The README's configuration table is checked against
 * this one (config.test.ts), so the two cannot drift apart.
 */
import { isIP } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import type { ChatSettings } from './chat/ports.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The chat's settings, plus what the process around it needs. */
export interface Config extends ChatSettings {
  port: number;
  host: string;
  databasePath: string;
  /** PostgreSQL for several server processes; SQLite (`databasePath`) when unset. */
  databaseUrl: string | undefined;
  /** Connections each process keeps to PostgreSQL. */
  databasePoolSize: number;
  /** Redis carries events and presence between processes (never messages). */
  redisUrl: string | undefined;
  /** Prefix of every Redis key and channel, so several chats can share one Redis. */
  redisPrefix: string;
  /** Extra browser origins allowed to open the WebSocket, normalised (`new URL(x).origin`). */
  allowedOrigins: readonly string[];
  maxConnections: number;
  logLevel: LogLevel;
  /** Folder of the built web UI (`apps/web/dist`). */
  staticDir: string;
  /** Serve the web UI's source maps (`*.map`); otherwise they are 404 to everyone. */
  serveSourceMaps: boolean;
  /** Proxies whose `X-Forwarded-For` names the client (addresses and CIDR blocks). */
  trustedProxies: readonly string[];
}

type Env = Readonly<Record<string, string | undefined>>;

/** One operator setting. */
export interface Setting<T> {
  /** The environment variable. */
  env: string;
  default: T;
  /** The default as the README's table cell shows it, when it is not the value in backticks. */
  shown?: string;
  /** What it means, as the README says it. */
  doc: string;
  /** The value of a variable that is set (trimmed, not empty). */
  parse(raw: string, env: string): T;
}

const HOUR_MS = 3_600_000;

function integer(min: number, max: number): (raw: string, name: string) => number {
  return (raw, name) => {
    const value = /^-?\d+$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
    }
    return value;
  };
}

const text = (raw: string): string => raw;

function origins(raw: string, name: string): string[] {
  const expected = `${name} must be a comma-separated list of origins like https://chat.example.com`;
  return raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      let url: URL;
      try {
        url = new URL(entry);
      } catch {
        throw new ConfigError(`${expected}, got ${JSON.stringify(entry)}`);
      }
      if (
        (url.protocol !== 'http:' && url.protocol !== 'https:') ||
        url.pathname !== '/' ||
        url.search ||
        url.hash
      ) {
        throw new ConfigError(`${expected} (scheme, host and port only), got ${JSON.stringify(entry)}`);
      }
      return url.origin;
    });
}

function postgresUrl(raw: string, name: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(
      `${name} must be a URL like postgres://user:password@127.0.0.1:5432/tether, got ${JSON.stringify(redactedInput(raw))}`,
    );
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(
      `${name} must be a postgres:// or postgresql:// URL, got ${JSON.stringify(redactedInput(raw))}`,
    );
  }
  return raw;
}

/** A URL as an error may quote it: without a password. */
function redactedInput(raw: string): string {
  return raw.replace(/(\/\/[^:/@]*:)[^@/]*@/, '$1***@');
}

function redisUrl(raw: string, name: string): string {
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

function redisPrefix(raw: string, name: string): string {
  if (!/^[A-Za-z0-9:_.-]{1,64}$/.test(raw)) {
    throw new ConfigError(
      `${name} must be 1-64 of A-Z, a-z, 0-9, ':', '_', '.', '-', got ${JSON.stringify(raw)}`,
    );
  }
  return raw;
}

/** `room=days,room=days`: retention per room, in whole days (0 keeps everything). */
function roomDays(raw: string, name: string): ReadonlyMap<string, number> {
  const days = integer(0, 36_500);
  const entries = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry): [string, number] => {
      const match = /^([a-z0-9][a-z0-9_-]{0,31})=(\d+)$/.exec(entry);
      if (!match) {
        throw new ConfigError(
          `${name} must be a comma-separated list of room=days, like general=365,random=7, got ${JSON.stringify(entry)}`,
        );
      }
      return [match[1] as string, days(match[2] as string, name)];
    });
  return new Map(entries);
}

/** Comma-separated IP addresses and CIDR blocks (`10.0.0.0/8`). */
function proxies(raw: string, name: string): string[] {
  return raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      const [address = '', bits, ...rest] = entry.split('/');
      const family = isIP(address);
      const maxBits = family === 6 ? 128 : 32;
      if (
        family === 0 ||
        rest.length > 0 ||
        (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= maxBits))
      ) {
        throw new ConfigError(
          `${name} must be a comma-separated list of IP addresses or CIDR blocks like 10.0.0.0/8, got ${JSON.stringify(entry)}`,
        );
      }
      return entry;
    });
}

function boolean(raw: string, name: string): boolean {
  const value = raw.toLowerCase();
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new ConfigError(`${name} must be true or false, got ${JSON.stringify(raw)}`);
}

function logLevel(raw: string, name: string): LogLevel {
  const found = LOG_LEVELS.find((level) => level === raw.toLowerCase());
  if (!found)
    throw new ConfigError(`${name} must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(raw)}`);
  return found;
}

const DEFAULT_STATIC_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/dist');

/** Every setting, in the order the README lists them. */
export const SETTINGS: { readonly [K in keyof Config]: Setting<Config[K]> } = {
  port: {
    env: 'PORT',
    default: 3000,
    doc: 'HTTP and WebSocket port (`0` picks a free one)',
    parse: integer(0, 65_535),
  },
  host: { env: 'HOST', default: '0.0.0.0', doc: 'address to listen on', parse: text },
  databasePath: {
    env: 'DATABASE_PATH',
    default: 'data/chat.db',
    doc: 'SQLite file; its folder is created if missing',
    parse: text,
  },
  databaseUrl: {
    env: 'DATABASE_URL',
    default: undefined,
    shown: 'unset',
    doc: 'PostgreSQL (`postgres://user:password@host:5432/tether`) instead of the SQLite file, for several server processes (see Several servers)',
    parse: postgresUrl,
  },
  databasePoolSize: {
    env: 'DATABASE_POOL_SIZE',
    default: 10,
    doc: 'connections each server process keeps to PostgreSQL',
    parse: integer(2, 1000),
  },
  redisUrl: {
    env: 'REDIS_URL',
    default: undefined,
    shown: 'unset',
    doc: 'Redis that carries events and presence between server processes; needs `DATABASE_URL` (see Several servers)',
    parse: redisUrl,
  },
  redisPrefix: {
    env: 'REDIS_PREFIX',
    default: 'tether:',
    doc: 'prefix of every Redis key and channel, so several chats can share one Redis',
    parse: redisPrefix,
  },
  allowedOrigins: {
    env: 'ALLOWED_ORIGINS',
    default: [],
    shown: 'unset',
    doc: 'extra browser origins allowed to connect, comma-separated (`https://chat.example.com`)',
    parse: origins,
  },
  heartbeatIntervalMs: {
    env: 'HEARTBEAT_INTERVAL_MS',
    default: 25_000,
    doc: 'server ping interval, also told to clients in `welcome`',
    parse: integer(10, HOUR_MS),
  },
  heartbeatTimeoutMs: {
    env: 'HEARTBEAT_TIMEOUT_MS',
    default: 10_000,
    doc: 'how long after a ping a silent link counts as dead',
    parse: integer(10, HOUR_MS),
  },
  helloTimeoutMs: {
    env: 'HELLO_TIMEOUT_MS',
    default: 10_000,
    doc: 'a connection without `welcome` by then is closed (4408)',
    parse: integer(10, HOUR_MS),
  },
  presenceGraceMs: {
    env: 'PRESENCE_GRACE_MS',
    default: 15_000,
    doc: 'how long a dropped user stays a member before `left`',
    parse: integer(0, HOUR_MS),
  },
  maxConnections: {
    env: 'MAX_CONNECTIONS',
    default: 50_000,
    doc: 'beyond it, new connections are closed with 1013',
    parse: integer(1, 10_000_000),
  },
  tokenTtlDays: {
    env: 'TOKEN_TTL_DAYS',
    default: 30,
    doc: 'a token (and the name it holds) expires this long after its last use',
    parse: integer(1, 3650),
  },
  rateLimitPerSec: {
    env: 'RATE_LIMIT_PER_SEC',
    default: 10,
    doc: 'sends a second per user (told to clients in `welcome.limits`)',
    parse: integer(1, 1_000_000),
  },
  rateLimitBurst: {
    env: 'RATE_LIMIT_BURST',
    default: 20,
    doc: 'sends at once per user',
    parse: integer(1, 1_000_000),
  },
  joinLimitPerSec: {
    env: 'JOIN_LIMIT_PER_SEC',
    default: 2,
    doc: '`join` a second per user (`leave` is free)',
    parse: integer(1, 1_000_000),
  },
  joinLimitBurst: {
    env: 'JOIN_LIMIT_BURST',
    default: 40,
    doc: '`join` at once per user (a reconnect rejoins up to 20 rooms)',
    parse: integer(1, 1_000_000),
  },
  readLimitPerSec: {
    env: 'READ_LIMIT_PER_SEC',
    default: 5,
    doc: '`history`, `rooms` and `members` a second per user',
    parse: integer(1, 1_000_000),
  },
  readLimitBurst: {
    env: 'READ_LIMIT_BURST',
    default: 20,
    doc: '`history`, `rooms` and `members` at once per user',
    parse: integer(1, 1_000_000),
  },
  frameLimitPerSec: {
    env: 'FRAME_LIMIT_PER_SEC',
    default: 50,
    doc: 'frames of any kind a second per connection',
    parse: integer(1, 1_000_000),
  },
  frameLimitBurst: {
    env: 'FRAME_LIMIT_BURST',
    default: 200,
    doc: 'frames of any kind at once per connection',
    parse: integer(1, 1_000_000),
  },
  newUsersPerHour: {
    env: 'NEW_USERS_PER_HOUR',
    default: 60,
    doc: 'users a client address may create an hour (all at once if need be)',
    parse: integer(1, 1_000_000_000),
  },
  newRoomsPerHour: {
    env: 'NEW_ROOMS_PER_HOUR',
    default: 30,
    doc: 'rooms a user, and a client address, may create an hour',
    parse: integer(1, 1_000_000_000),
  },
  renamesPerHour: {
    env: 'RENAMES_PER_HOUR',
    default: 20,
    doc: 'times a user may change their name an hour',
    parse: integer(1, 1_000_000_000),
  },
  trustedProxies: {
    env: 'TRUSTED_PROXIES',
    default: [],
    shown: 'unset',
    doc: 'proxies whose `X-Forwarded-For` names the client address, comma-separated addresses or CIDR blocks',
    parse: proxies,
  },
  emptyRoomTtlHours: {
    env: 'EMPTY_ROOM_TTL_HOURS',
    default: 24,
    doc: 'a room without messages that nobody joined for this long is no longer listed, and is deleted',
    parse: integer(1, 87_600),
  },
  historyRetentionDays: {
    env: 'HISTORY_RETENTION_DAYS',
    default: 0,
    doc: 'messages older than this are deleted; `0` keeps everything',
    parse: integer(0, 36_500),
  },
  roomRetentionDays: {
    env: 'ROOM_RETENTION_DAYS',
    default: new Map(),
    shown: 'unset',
    doc: 'retention per room, overriding the above: `general=365,random=7` (`0` keeps everything)',
    parse: roomDays,
  },
  restartRetryMs: {
    env: 'RESTART_RETRY_MS',
    default: 500,
    doc: 'told to clients on shutdown: about how long until the restarted server is back',
    parse: integer(0, 60_000),
  },
  logLevel: {
    env: 'LOG_LEVEL',
    default: 'info',
    doc: '`fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`',
    parse: logLevel,
  },
  staticDir: {
    env: 'STATIC_DIR',
    default: DEFAULT_STATIC_DIR,
    shown: '`apps/web/dist`',
    doc: 'folder of the built web UI',
    parse: (raw) => path.resolve(raw),
  },
  serveSourceMaps: {
    env: 'SERVE_SOURCE_MAPS',
    default: false,
    shown: '`false`',
    doc: "`true` serves the web UI's source maps (`*.map`) to anyone; else they are 404",
    parse: boolean,
  },
};

/** The default as the README's table cell shows it. */
export function defaultCell(setting: Setting<unknown>): string {
  if (setting.shown !== undefined) return setting.shown;
  const { default: value } = setting;
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw new Error(`${setting.env} needs a shown default`);
  }
  return `\`${value}\``;
}

function read<K extends keyof Config>(env: Env, key: K): Config[K] {
  const setting = SETTINGS[key];
  const raw = env[setting.env]?.trim();
  return raw ? setting.parse(raw, setting.env) : setting.default;
}

/** Parses the environment; throws `ConfigError` on the first bad value. */
export function loadConfig(env: Env): Config {
  const config = {} as Record<keyof Config, unknown>;
  for (const key of Object.keys(SETTINGS) as (keyof Config)[]) config[key] = read(env, key);
  const loaded = config as Config;
  // Several processes cannot share one SQLite file: Redis without PostgreSQL
  // would split the chat into islands that each keep their own history.
  if (loaded.redisUrl !== undefined && loaded.databaseUrl === undefined) {
    throw new ConfigError(
      'REDIS_URL carries events between server processes that share a PostgreSQL database: set DATABASE_URL too (one process on SQLite needs no Redis)',
    );
  }
  return loaded;
}

/** Settings earlier versions read and this one does not, with what replaced them (logged at start). */
export const RETIRED_SETTINGS: Readonly<Record<string, string>> = {
  HISTORY_MAX:
    'HISTORY_MAX is no longer read: history lives in PostgreSQL or SQLite, whole; HISTORY_RETENTION_DAYS limits it by age',
};
