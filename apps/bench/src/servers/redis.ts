/**
 * A redis-server of our own on a free loopback port, with the persistence
 * the report states: appendonly yes, appendfsync everysec, no RDB snapshots.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

import { spawnManaged, stopProcess, type ManagedProcess } from '../processes.js';
import { freePort, waitReady } from './ready.js';
import type { StartContext } from './types.js';

export interface RedisInstance {
  url: string;
  port: number;
  process: ManagedProcess;
  version: string;
  settings: string;
  stop(): Promise<void>;
}

export const REDIS_SETTINGS = 'appendonly yes, appendfsync everysec, save "" (no RDB snapshots)';

export function redisAvailable(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

export async function startRedis(ctx: StartContext): Promise<RedisInstance> {
  const port = await freePort();
  const dir = path.join(ctx.workDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const version = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout.trim();
  const proc = spawnManaged({
    name: 'redis-server',
    command: 'redis-server',
    args: [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--save',
      '',
      '--daemonize',
      'no',
      '--protected-mode',
      'yes',
    ],
    cpu: ctx.serverCpu,
    logFile: path.join(ctx.workDir, 'redis.log'),
  });
  try {
    await waitReady(proc, port, undefined, 10_000);
  } catch (error) {
    await stopProcess(proc, 2000);
    throw error;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    process: proc,
    version,
    settings: REDIS_SETTINGS,
    stop: () => stopProcess(proc, 5000),
  };
}
