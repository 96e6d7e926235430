/**
 * A real `redis-server` process on a free loopback port, for the tests of
 * several server processes (Redis carries their events and presence).
 * Nothing is mocked: the server is Debian's redis-server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { freePort } from './ports.js';

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  /** Its data folder (`dump.rdb`, the append-only file). */
  readonly dir: string;
  /** Stops it, waiting for exit: SIGTERM (a clean shutdown) or SIGKILL (a crash). */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Starts it again on the same port and data folder. */
  start(): Promise<void>;
  /** Stops it for good and removes its data folder. */
  dispose(): Promise<void>;
}

export interface RedisOptions {
  /** `always` makes an acked message survive even a kill of redis itself. */
  appendfsync?: 'always' | 'everysec';
  /**
   * `'rdb'`: no append-only file; what a restart finds is the last snapshot
   * (`dump.rdb`, written by SAVE): a Redis restored from a backup.
   * @default 'aof'
   */
  persistence?: 'aof' | 'rdb';
}

function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline)
          reject(new Error(`redis-server did not listen on ${port} within ${timeoutMs} ms`));
        else setTimeout(attempt, 25);
      });
    };
    attempt();
  });
}

export async function startRedisServer(options: RedisOptions = {}): Promise<RedisServer> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'tether-redis-'));
  let child: ChildProcess | undefined;
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    options.persistence === 'rdb' ? 'no' : 'yes',
    '--appendfsync',
    options.appendfsync ?? 'always',
    '--daemonize',
    'no',
  ];
  const start = async (): Promise<void> => {
    const process = spawn('redis-server', args, { stdio: 'ignore' });
    child = process;
    await new Promise<void>((resolve, reject) => {
      process.once('error', (error) =>
        reject(new Error(`could not start redis-server (apt-get install redis-server): ${error.message}`)),
      );
      waitForPort(port, 10_000).then(resolve, reject);
    });
  };
  const stop = async (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> => {
    const running = child;
    child = undefined;
    if (running?.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill(signal);
    const timer = setTimeout(() => running.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    stop,
    start,
    async dispose() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
