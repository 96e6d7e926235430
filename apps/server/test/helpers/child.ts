/**
 * The server as a child process, started the way production starts it
 * (`main.ts` with environment variables), for what only a process shows:
 * exit codes, stderr, signals, SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { onTestFinished } from 'vitest';

import { freePort } from './ports.js';
import { OPEN_BUDGETS, makeTempDir, storeEnv, type Env } from './server.js';

export const SERVER_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ChildServer {
  readonly process: ChildProcess;
  /** stdout and stderr lines so far. */
  readonly stdout: string[];
  readonly stderr: string[];
  /** Resolves with the port from the `"msg":"listening"` log line. */
  listening(timeoutMs?: number): Promise<number>;
  /** Resolves when the process has exited. */
  exited(timeoutMs?: number): Promise<ExitInfo>;
  /** Sends a signal if the process still runs. */
  kill(signal: NodeJS.Signals): void;
}

/** Starts `src/main.ts` with only `env` (plus PATH and HOME) in its environment. */
export function spawnServer(env: Env): ChildServer {
  const childEnv: Record<string, string> = {};
  for (const key of ['PATH', 'HOME', 'TMPDIR']) {
    const value = process.env[key];
    if (value !== undefined) childEnv[key] = value;
  }
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined) childEnv[key] = value;
  }
  const child = spawn(process.execPath, ['--conditions=@tether/source', '--import', 'tsx', 'src/main.ts'], {
    cwd: SERVER_DIR,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  let exit: ExitInfo | undefined;
  const exitListeners = new Set<(info: ExitInfo) => void>();
  const lineListeners = new Set<(line: string) => void>();

  const splitLines = (stream: NodeJS.ReadableStream, sink: string[], notify: boolean) => {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      rest += chunk;
      let nl = rest.indexOf('\n');
      while (nl >= 0) {
        const line = rest.slice(0, nl);
        rest = rest.slice(nl + 1);
        sink.push(line);
        if (notify) for (const listener of lineListeners) listener(line);
        nl = rest.indexOf('\n');
      }
    });
    stream.on('end', () => {
      if (rest !== '') sink.push(rest);
    });
  };
  splitLines(child.stdout, stdout, true);
  splitLines(child.stderr, stderr, false);

  child.on('exit', (code, signal) => {
    exit = { code, signal };
    for (const listener of exitListeners) listener(exit);
  });

  const portOf = (line: string): number | undefined => {
    try {
      const parsed = JSON.parse(line) as { msg?: unknown; port?: unknown };
      if (parsed.msg === 'listening' && typeof parsed.port === 'number') return parsed.port;
    } catch {
      // Not a JSON log line.
    }
    return undefined;
  };

  try {
    // A failed test must not leave a server running.
    onTestFinished(() => {
      if (exit === undefined) child.kill('SIGKILL');
    });
  } catch {
    // Outside a test: the caller kills it.
  }

  const describe = () => `stdout:\n${stdout.slice(-20).join('\n')}\nstderr:\n${stderr.slice(-20).join('\n')}`;

  return {
    process: child,
    stdout,
    stderr,
    listening(timeoutMs = 20_000) {
      for (const line of stdout) {
        const port = portOf(line);
        if (port !== undefined) return Promise.resolve(port);
      }
      return new Promise<number>((resolve, reject) => {
        const cleanup = () => {
          clearTimeout(timer);
          lineListeners.delete(onLine);
          exitListeners.delete(onExit);
        };
        const onLine = (line: string) => {
          const port = portOf(line);
          if (port !== undefined) {
            cleanup();
            resolve(port);
          }
        };
        const onExit = (info: ExitInfo) => {
          cleanup();
          reject(new Error(`server exited (${info.code ?? info.signal}) before listening\n${describe()}`));
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no "listening" log line within ${timeoutMs} ms\n${describe()}`));
        }, timeoutMs);
        lineListeners.add(onLine);
        exitListeners.add(onExit);
      });
    },
    exited(timeoutMs = 15_000) {
      if (exit) return Promise.resolve(exit);
      return new Promise<ExitInfo>((resolve, reject) => {
        const onExit = (info: ExitInfo) => {
          clearTimeout(timer);
          resolve(info);
        };
        const timer = setTimeout(() => {
          exitListeners.delete(onExit);
          reject(new Error(`server still running after ${timeoutMs} ms\n${describe()}`));
        }, timeoutMs);
        exitListeners.add(onExit);
      });
    },
    kill(signal) {
      if (exit === undefined) child.kill(signal);
    },
  };
}

/** Rate limits high enough never to refuse a load test's sends. */
export const NO_RATE_LIMIT: Env = { RATE_LIMIT_PER_SEC: '100000', RATE_LIMIT_BURST: '100000' };

/**
 * The server as a child process on a fixed loopback port, with its data in a
 * temporary directory of its own (removed at the end of the test), that can
 * be signalled and started again on the same port and data:
 *
 *   const server = await launchServer(NO_RATE_LIMIT);
 *   expect((await server.kill('SIGKILL')).signal).toBe('SIGKILL');
 *   await server.restart();
 */
export interface ServerProcess {
  readonly dir: string;
  readonly port: number;
  /** `http://127.0.0.1:port`. */
  readonly url: string;
  /** `ws://127.0.0.1:port/ws`. */
  readonly wsUrl: string;
  /** The current process; replaced by `restart()`. */
  readonly child: ChildServer;
  /** Sends `signal` and resolves once the process has exited (5 s bound for SIGKILL, 12 s otherwise). */
  kill(signal: NodeJS.Signals, timeoutMs?: number): Promise<ExitInfo>;
  /** Starts a new process with the same environment (port, data) once the last one has exited. */
  restart(): Promise<void>;
}

/**
 * Starts `src/main.ts` on a free port with `overrides` over loopback,
 * `LOG_LEVEL: 'info'` (the "listening" line) and the test's store (SQLite in
 * the temporary directory, or a PostgreSQL schema and Redis prefix of its
 * own in `server-postgres`).
 */
export async function launchServer(overrides: Env = {}): Promise<ServerProcess> {
  const dir = await makeTempDir();
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const port = await freePort();
  const env: Env = {
    PORT: String(port),
    HOST: '127.0.0.1',
    ...(await storeEnv(dir)),
    ...OPEN_BUDGETS,
    LOG_LEVEL: 'info',
    ...overrides,
  };
  const start = async (): Promise<ChildServer> => {
    const started = spawnServer(env);
    const listening = await started.listening();
    if (listening !== port) throw new Error(`the server listens on ${listening}, not on ${port}`);
    return started;
  };
  let child = await start();
  return {
    dir,
    port,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    get child() {
      return child;
    },
    kill(signal, timeoutMs = signal === 'SIGKILL' ? 5000 : 12_000) {
      child.kill(signal);
      return child.exited(timeoutMs);
    },
    async restart() {
      await child.exited(5000);
      child = await start();
    },
  };
}
