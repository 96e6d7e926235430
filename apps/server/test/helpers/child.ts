/**
 * The server as a child process, started the way production starts it
 * (`main.ts` with environment variables), for what only a process shows:
 * exit codes, stderr, signals, SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { onTestFinished } from 'vitest';

import type { Env } from './server.js';

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

/** A port that was free a moment ago (listen on 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
