/**
 * The real chat server as a child process, started the way production starts
 * it (`src/main.ts` with environment variables), serving the web build. It can
 * be killed and started again on the same port and database, so a page keeps
 * its origin (and its storage and service worker) across a restart.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SERVER_DIR = fileURLToPath(new URL('../../../server/', import.meta.url));

/** Short timings, so dead links, reconnects and departures happen within a test. */
const TIMINGS = {
  HEARTBEAT_INTERVAL_MS: '1000',
  HEARTBEAT_TIMEOUT_MS: '1000',
  PRESENCE_GRACE_MS: '1000',
};

const START_TIMEOUT_MS = 20_000;
const EXIT_TIMEOUT_MS = 15_000;

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

/** One server process. */
class ServerProcess {
  readonly #child: ChildProcess;
  readonly #output: string[] = [];
  readonly #exited: Promise<void>;
  #running = true;

  constructor(env: Record<string, string>) {
    this.#child = spawn(process.execPath, ['--conditions=@tether/source', '--import', 'tsx', 'src/main.ts'], {
      cwd: SERVER_DIR,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#exited = new Promise<void>((resolve) => {
      this.#child.once('exit', () => {
        this.#running = false;
        resolve();
      });
    });
    for (const stream of [this.#child.stdout, this.#child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        this.#output.push(...chunk.split('\n').filter((line) => line !== ''));
        if (this.#output.length > 200) this.#output.splice(0, this.#output.length - 200);
      });
    }
  }

  get running(): boolean {
    return this.#running;
  }

  /** The last lines the process wrote, for failure messages. */
  tail(): string {
    return this.#output.slice(-30).join('\n');
  }

  /** Resolves once the `"msg":"listening"` log line names `port`. */
  listening(port: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const check = () => {
        const found = this.#output.some((line) => {
          try {
            const parsed = JSON.parse(line) as { msg?: unknown; port?: unknown };
            return parsed.msg === 'listening' && parsed.port === port;
          } catch {
            return false;
          }
        });
        if (found) {
          done();
          resolve();
        } else if (!this.#running) {
          done();
          reject(new Error(`the server exited before listening on ${port}:\n${this.tail()}`));
        }
      };
      const done = () => {
        clearInterval(poll);
        clearTimeout(timer);
      };
      const poll = setInterval(check, 25);
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(`the server did not listen on ${port} within ${START_TIMEOUT_MS} ms:\n${this.tail()}`),
        );
      }, START_TIMEOUT_MS);
      check();
    });
  }

  /** Sends `signal` and waits for the process to exit. */
  async stop(signal: NodeJS.Signals): Promise<void> {
    if (this.#running) this.#child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`the server did not exit within ${EXIT_TIMEOUT_MS} ms of ${signal}`));
      }, EXIT_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.#exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

export interface ChatServer {
  /** `http://127.0.0.1:<port>`, the same across restarts. */
  readonly url: string;
  readonly port: number;
  /** Whether the server process is running. */
  readonly running: boolean;
  /** Stops the server: SIGKILL (a crash) or SIGTERM (a clean shutdown). */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and database. */
  start(): Promise<void>;
  /** Kills the server and removes its database. */
  dispose(): Promise<void>;
}

/**
 * Starts a server on a free port with a fresh database in a temporary folder.
 * `settings`: more environment variables (docs/protocol.md, "Server
 * configuration"), e.g. budgets raised for a crowd of bots from one address.
 */
export async function startChatServer(
  staticDir: string,
  settings: Record<string, string> = {},
): Promise<ChatServer> {
  const dir = await mkdtemp(join(tmpdir(), 'tether-e2e-db-'));
  const port = await freePort();
  const env: Record<string, string> = {
    ...TIMINGS,
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_PATH: join(dir, 'chat.db'),
    STATIC_DIR: staticDir,
    LOG_LEVEL: 'info',
    ...settings,
  };
  for (const key of ['PATH', 'HOME', 'TMPDIR']) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }

  let current: ServerProcess | null = null;
  const start = async () => {
    if (current?.running) throw new Error('the server is already running');
    const child = new ServerProcess(env);
    current = child;
    try {
      await child.listening(port);
    } catch (error) {
      await child.stop('SIGKILL');
      throw error;
    }
  };
  await start();

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get running() {
      return current?.running ?? false;
    },
    async stop(signal = 'SIGKILL') {
      await current?.stop(signal);
    },
    start,
    async dispose() {
      await current?.stop('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    },
  };
}
