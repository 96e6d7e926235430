/** PROTOCOL.md › Server configuration: a bad value stops the server with one line naming it. */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

import { describe, expect, it, onTestFinished } from 'vitest';

import { ConfigError, loadConfig } from '../src/config.js';
import { spawnServer } from './helpers/child.js';
import { makeTempDir } from './helpers/server.js';

const VALID = {
  PORT: '0',
  HOST: '127.0.0.1',
  DATABASE_PATH: '/tmp/never-opened.db',
  LOG_LEVEL: 'silent',
};

describe('loadConfig', () => {
  it('accepts an empty environment (every setting has a default)', () => {
    expect(() => loadConfig({})).not.toThrow();
  });

  it('accepts every variable set to a valid value', () => {
    expect(() =>
      loadConfig({
        ...VALID,
        ALLOWED_ORIGINS: 'https://app.example.com,http://localhost:5173',
        HEARTBEAT_INTERVAL_MS: '200',
        HEARTBEAT_TIMEOUT_MS: '200',
        HELLO_TIMEOUT_MS: '300',
        PRESENCE_GRACE_MS: '300',
        MAX_CONNECTIONS: '10',
        TOKEN_TTL_DAYS: '7',
        RATE_LIMIT_PER_SEC: '10',
        RATE_LIMIT_BURST: '20',
      }),
    ).not.toThrow();
  });

  it.each(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])('accepts LOG_LEVEL=%s', (level) => {
    expect(() => loadConfig({ ...VALID, LOG_LEVEL: level })).not.toThrow();
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['HEARTBEAT_INTERVAL_MS', '-5'],
    ['HEARTBEAT_INTERVAL_MS', 'soon'],
    ['HEARTBEAT_TIMEOUT_MS', 'x'],
    ['HELLO_TIMEOUT_MS', '-1'],
    ['PRESENCE_GRACE_MS', 'abc'],
    ['MAX_CONNECTIONS', 'many'],
    ['MAX_CONNECTIONS', '-3'],
    ['TOKEN_TTL_DAYS', 'forever'],
    ['RATE_LIMIT_PER_SEC', 'fast'],
    ['RATE_LIMIT_BURST', '-2'],
    ['ALLOWED_ORIGINS', 'not-a-url'],
    ['ALLOWED_ORIGINS', 'https://ok.example,also bad'],
    ['LOG_LEVEL', 'verbose'],
  ])('refuses %s=%s with a one-line ConfigError naming the variable', (name, value) => {
    let caught: unknown;
    try {
      loadConfig({ ...VALID, [name]: value });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const message = (caught as Error).message;
    expect(message).toContain(name);
    expect(message).not.toContain('\n');
  });
});

describe('server process with a bad setting', () => {
  it.each([
    ['PORT', 'abc'],
    ['HEARTBEAT_INTERVAL_MS', '-5'],
    ['ALLOWED_ORIGINS', 'not-a-url'],
  ])('exits 1 with one stderr line naming %s', async (name, value) => {
    const dir = await makeTempDir();
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const child = spawnServer({
      ...VALID,
      LOG_LEVEL: 'info',
      DATABASE_PATH: join(dir, 'chat.db'),
      [name]: value,
    });
    const exit = await child.exited(20_000);
    expect(exit.code).toBe(1);
    const lines = child.stderr.filter((line) => line.trim() !== '');
    expect(lines, `stderr: ${JSON.stringify(child.stderr)}`).toHaveLength(1);
    expect(lines[0]).toContain(name);
  });
});
