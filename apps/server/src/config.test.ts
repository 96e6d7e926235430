import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { ConfigError, LOG_LEVELS, SETTINGS, defaultCell, loadConfig, type Config } from './config.js';

function error(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).message;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('uses the documented defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      host: '0.0.0.0',
      databasePath: 'data/chat.db',
      redisUrl: undefined,
      allowedOrigins: [],
      heartbeatIntervalMs: 25_000,
      heartbeatTimeoutMs: 10_000,
      helloTimeoutMs: 10_000,
      presenceGraceMs: 15_000,
      maxConnections: 50_000,
      tokenTtlDays: 30,
      rateLimitPerSec: 10,
      rateLimitBurst: 20,
      logLevel: 'info',
    });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '127.0.0.1',
      DATABASE_PATH: '/tmp/x.db',
      DATABASE_URL: 'postgres://tether@db:5432/tether',
      DATABASE_POOL_SIZE: '20',
      REDIS_URL: 'redis://127.0.0.1:6380',
      ALLOWED_ORIGINS: 'https://chat.example.com, http://localhost:5173',
      HEARTBEAT_INTERVAL_MS: '1000',
      HEARTBEAT_TIMEOUT_MS: '500',
      HELLO_TIMEOUT_MS: '2000',
      PRESENCE_GRACE_MS: '0',
      MAX_CONNECTIONS: '10',
      TOKEN_TTL_DAYS: '7',
      RATE_LIMIT_PER_SEC: '1000',
      RATE_LIMIT_BURST: '2000',
      LOG_LEVEL: 'warn',
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      databasePath: '/tmp/x.db',
      databaseUrl: 'postgres://tether@db:5432/tether',
      databasePoolSize: 20,
      redisUrl: 'redis://127.0.0.1:6380',
      allowedOrigins: ['https://chat.example.com', 'http://localhost:5173'],
      heartbeatIntervalMs: 1000,
      heartbeatTimeoutMs: 500,
      helloTimeoutMs: 2000,
      presenceGraceMs: 0,
      maxConnections: 10,
      tokenTtlDays: 7,
      rateLimitPerSec: 1000,
      rateLimitBurst: 2000,
      logLevel: 'warn',
    });
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT must be an integer from 0 to 65535, got "abc"'],
    [{ PORT: '70000' }, 'PORT must be an integer from 0 to 65535, got "70000"'],
    [{ PORT: '80.5' }, 'PORT must be an integer from 0 to 65535, got "80.5"'],
    [
      { HEARTBEAT_INTERVAL_MS: '-5' },
      'HEARTBEAT_INTERVAL_MS must be an integer from 10 to 3600000, got "-5"',
    ],
    [{ MAX_CONNECTIONS: '0' }, 'MAX_CONNECTIONS must be an integer from 1 to 10000000, got "0"'],
    [{ RATE_LIMIT_BURST: '1e3' }, 'RATE_LIMIT_BURST must be an integer from 1 to 1000000, got "1e3"'],
    [{ REDIS_URL: 'not a url' }, 'REDIS_URL must be a URL like redis://127.0.0.1:6379, got "not a url"'],
    [
      { REDIS_URL: 'http://127.0.0.1:6379' },
      'REDIS_URL must be a redis:// or rediss:// URL, got "http://127.0.0.1:6379"',
    ],
    [
      { LOG_LEVEL: 'loud' },
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
    ],
  ])('refuses %j with one line naming the variable', (env, message) => {
    const text = error(env);
    expect(text).toBe(message);
    expect(text).not.toContain('\n');
  });

  it('refuses an origin that is not scheme, host and port', () => {
    expect(error({ ALLOWED_ORIGINS: 'chat.example.com' })).toMatch(
      /^ALLOWED_ORIGINS must be .*"chat.example.com"$/,
    );
    expect(error({ ALLOWED_ORIGINS: 'https://chat.example.com/app' })).toMatch(
      /^ALLOWED_ORIGINS must be .*"https:\/\/chat.example.com\/app"$/,
    );
  });

  it.each(LOG_LEVELS)('accepts LOG_LEVEL=%s', (level) => {
    expect(loadConfig({ LOG_LEVEL: level }).logLevel).toBe(level);
  });

  it.each([
    ['PORT', '-1'],
    ['HEARTBEAT_INTERVAL_MS', 'soon'],
    ['HEARTBEAT_TIMEOUT_MS', 'x'],
    ['HELLO_TIMEOUT_MS', '-1'],
    ['PRESENCE_GRACE_MS', 'abc'],
    ['MAX_CONNECTIONS', 'many'],
    ['MAX_CONNECTIONS', '-3'],
    ['TOKEN_TTL_DAYS', 'forever'],
    ['RATE_LIMIT_PER_SEC', 'fast'],
    ['RATE_LIMIT_BURST', '-2'],
    ['REDIS_PREFIX', 'has space'],
    ['ALLOWED_ORIGINS', 'not-a-url'],
    ['ALLOWED_ORIGINS', 'https://ok.example,also bad'],
    ['RENAMES_PER_HOUR', '0'],
    ['DATABASE_URL', 'mysql://db/tether'],
    ['DATABASE_URL', 'not a url'],
    ['DATABASE_POOL_SIZE', '1'],
    ['SERVE_SOURCE_MAPS', 'yes please'],
  ])('refuses %s=%s with a one-line ConfigError naming the variable', (name, value) => {
    const text = error({ [name]: value });
    expect(text).toContain(name);
    expect(text).not.toContain('\n');
  });
});

describe('several processes', () => {
  it('refuses REDIS_URL without DATABASE_URL: processes that share events must share a database', () => {
    expect(error({ REDIS_URL: 'redis://127.0.0.1:6379' })).toBe(
      'REDIS_URL carries events between server processes that share a PostgreSQL database: set DATABASE_URL too (one process on SQLite needs no Redis)',
    );
  });

  it('takes DATABASE_URL with or without REDIS_URL', () => {
    const url = 'postgres://tether:secret@db:5432/tether';
    expect(loadConfig({ DATABASE_URL: url }).databaseUrl).toBe(url);
    expect(loadConfig({ DATABASE_URL: url, REDIS_URL: 'redis://r:6379' }).redisUrl).toBe('redis://r:6379');
  });

  it('never repeats the password of a DATABASE_URL it refuses', () => {
    expect(error({ DATABASE_URL: 'mysql://tether:secret@db/tether' })).not.toContain('secret');
  });
});

describe('settings', () => {
  it('read each variable into its own setting, and nothing else', () => {
    const variables = Object.values(SETTINGS).map((setting) => setting.env);
    expect(new Set(variables).size).toBe(variables.length);
    // Every key of Config has a setting (the table is typed by Config's keys).
    expect(Object.keys(loadConfig({})).sort()).toEqual((Object.keys(SETTINGS) as (keyof Config)[]).sort());
  });

  /** The rows of a Markdown table under `heading` whose first cell is a variable: [variable, default]. */
  function tableOf(file: string, heading: string): string[][] {
    const text = readFileSync(new URL(`../../../${file}`, import.meta.url), 'utf8');
    const start = text.indexOf(heading);
    const section = text.slice(start, text.indexOf('\n## ', start + 1));
    return [...section.matchAll(/^\| `([A-Z_]+)` +\| ([^|]+?) +\|/gm)].map((m) => [m[1] ?? '', m[2] ?? '']);
  }
  const unquoted = (cell: string): string => cell.replaceAll('`', '');

  it("are the protocol reference's configuration table, with the same defaults", () => {
    const rows = tableOf('docs/protocol.md', '## 13. Server configuration');
    const expected = Object.values(SETTINGS).map((setting) => [setting.env, unquoted(defaultCell(setting))]);
    expect(rows.map(([env, cell]) => [env, unquoted(cell ?? '')])).toEqual(expected);
  });

  it("are the README's configuration table, row for row, with the same defaults", () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(
      readme.indexOf('## Configuration'),
      readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1),
    );
    const rows = [...section.matchAll(/^\| `([A-Z_]+)` +\| ([^|]+?) +\| (.+?) +\|$/gm)].map((m) => [
      m[1],
      m[2],
      m[3],
    ]);
    const expected = Object.values(SETTINGS).map((setting) => [
      setting.env,
      defaultCell(setting),
      setting.doc,
    ]);
    expect(rows).toEqual(expected);
  });
});
