import { describe, expect, it } from 'vitest';

import { ConfigError, loadConfig } from './config.js';

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
});
