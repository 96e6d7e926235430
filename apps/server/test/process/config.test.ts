/**
 * A bad setting stops the server process at start with one line naming it
 * (the parsing itself is tested in src/config.test.ts).
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

import { describe, expect, it, onTestFinished } from 'vitest';

import { spawnServer } from '../helpers/child.js';
import { makeTempDir } from '../helpers/server.js';

const VALID = {
  PORT: '0',
  HOST: '127.0.0.1',
  DATABASE_PATH: '/tmp/never-opened.db',
  LOG_LEVEL: 'silent',
};

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

describe('server process with a setting an earlier version read', () => {
  it('says HISTORY_MAX is no longer read, and what limits history now, then serves', async () => {
    const dir = await makeTempDir();
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const child = spawnServer({
      ...VALID,
      LOG_LEVEL: 'info',
      DATABASE_PATH: join(dir, 'chat.db'),
      HISTORY_MAX: '500',
    });
    onTestFinished(() => child.kill('SIGKILL'));
    await child.listening();
    expect(child.stderr.join('\n')).toContain(
      'tether: HISTORY_MAX is no longer read: history lives in PostgreSQL or SQLite, whole; HISTORY_RETENTION_DAYS limits it by age',
    );
  });
});
