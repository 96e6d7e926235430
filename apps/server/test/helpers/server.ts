/**
 * A disposable chat server for one test: a real server on an ephemeral port
 * of 127.0.0.1 with its SQLite database in a fresh temporary directory.
 *
 *   await using srv = await startTestServer({ PRESENCE_GRACE_MS: '300' });
 *   const alice = await srv.user('alice');
 *
 * Disposal terminates every client the fixture opened, closes the server and
 * removes the directory. It is also registered with `onTestFinished`, so a
 * test that forgets `await using` still cleans up.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { randomBytes } from 'node:crypto';

import { inject, onTestFinished } from 'vitest';

import { loadConfig } from '../../src/config.js';
import { startServer, type RunningServer, type ServerOverrides } from '../../src/server.js';
import { TestClient, type ConnectOptions } from './client.js';
import { freshSchema, testPostgresUrl } from './postgres.js';

export type Env = Record<string, string | undefined>;

export interface TestServer extends AsyncDisposable {
  readonly dir: string;
  readonly databasePath: string;
  readonly env: Env;
  /** The running server (the first of them on PostgreSQL); replaced by `restart()`. */
  readonly server: RunningServer;
  /**
   * Every server process of this chat: one, or on PostgreSQL two sharing the
   * database and Redis, and `connect` takes turns between them, so the
   * whole protocol suite sees a chat of several processes.
   */
  readonly servers: readonly RunningServer[];
  readonly url: string;
  readonly wsUrl: string;
  /** Opens a WebSocket to `/ws` (or `path`) that the fixture closes at the end. */
  connect(options?: ConnectOptions & { path?: string; node?: number }): Promise<TestClient>;
  /** Connects and says `hello`; the welcome is in `client.user` / `client.token`. */
  user(name: string, token?: string, options?: ConnectOptions & { node?: number }): Promise<TestClient>;
  /** Stops the server gracefully and starts a new one on the same database (a new port). */
  restart(): Promise<void>;
  /** Stops the server gracefully (idempotent). */
  stop(): Promise<void>;
}

/** The redis-server of the `server-postgres` project, if this run uses one. */
export function testRedisUrl(): string | undefined {
  return inject('redisUrl');
}

/** True in the `server-postgres` project: PostgreSQL, Redis, and two server processes per test server. */
export function onPostgres(): boolean {
  return testPostgresUrl() !== undefined;
}

/**
 * Where a test server keeps its data: a SQLite file in `dir`, or, in the
 * `server-postgres` project, a schema of its own in the run's PostgreSQL
 * and a key prefix of its own in its redis-server (the same protocol suite
 * runs against both).
 */
export async function storeEnv(dir: string): Promise<Env> {
  const postgresUrl = testPostgresUrl();
  const redisUrl = testRedisUrl();
  return {
    DATABASE_PATH: join(dir, 'chat.db'),
    ...(postgresUrl ? { DATABASE_URL: await freshSchema(postgresUrl) } : {}),
    ...(redisUrl ? { REDIS_URL: redisUrl, REDIS_PREFIX: `t${randomBytes(6).toString('hex')}:` } : {}),
  };
}

/**
 * Budgets no test spends by accident: tests open hundreds of connections from
 * loopback and send hundreds of requests. The budgets have tests of their
 * own (protocol/budgets.test.ts), which set them as they need; the send rate
 * keeps its default, which many tests rely on.
 */
export const OPEN_BUDGETS: Env = {
  FRAME_LIMIT_BURST: '1000000',
  JOIN_LIMIT_BURST: '1000000',
  READ_LIMIT_BURST: '1000000',
  NEW_USERS_PER_HOUR: '1000000',
  NEW_ROOMS_PER_HOUR: '1000000',
};

/** Settings every test server starts with; a test's own `env` wins. */
export async function baseEnv(dir: string): Promise<Env> {
  return {
    PORT: '0',
    HOST: '127.0.0.1',
    ...(await storeEnv(dir)),
    ...OPEN_BUDGETS,
    LOG_LEVEL: 'silent',
  };
}

export async function makeTempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'tether-test-'));
}

export interface TestServerOptions {
  /**
   * Server processes in this chat. By default one, and two on PostgreSQL.
   * One for what each process keeps for itself (budgets, metrics): the
   * protocol reference says they are per process.
   */
  nodes?: number;
}

/**
 * `serverOverrides` go to `startServer` as they are (a store that fails on
 * purpose, a short `headersTimeoutMs`), on every start, restarts included.
 */
export async function startTestServer(
  overrides: Env = {},
  serverOverrides: ServerOverrides = {},
  options: TestServerOptions = {},
): Promise<TestServer> {
  const dir = await makeTempDir();
  const env: Env = { ...(await baseEnv(dir)), ...overrides };
  const config = loadConfig(env);
  const clients = new Set<TestClient>();
  const count = options.nodes ?? (onPostgres() ? 2 : 1);
  const startAll = async (): Promise<RunningServer[]> => {
    const started = await Promise.allSettled(
      Array.from({ length: count }, () => startServer(config, serverOverrides)),
    );
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) {
      await Promise.all(started.map((r) => (r.status === 'fulfilled' ? r.value.close() : Promise.resolve())));
      throw failed.reason;
    }
    return started.map((r) => (r as PromiseFulfilledResult<RunningServer>).value);
  };
  let nodes: RunningServer[];
  try {
    nodes = await startAll();
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  let turn = 0;
  let running = true;
  let disposed = false;

  const fixture: TestServer = {
    dir,
    databasePath: env.DATABASE_PATH!,
    env,
    get server() {
      return nodes[0] as RunningServer;
    },
    get servers() {
      return nodes;
    },
    get url() {
      return fixture.server.url;
    },
    get wsUrl() {
      return fixture.server.wsUrl;
    },
    async connect(options = {}) {
      const { path, node, ...rest } = options;
      const server = nodes[(node ?? turn++) % nodes.length] as RunningServer;
      const url = path === undefined ? server.wsUrl : `ws://127.0.0.1:${server.port}${path}`;
      const client = await TestClient.connect(url, rest);
      clients.add(client);
      return client;
    },
    async user(name, token, options) {
      const client = await fixture.connect(options);
      await client.hello(name, token);
      return client;
    },
    async restart() {
      await fixture.stop();
      nodes = await startAll();
      running = true;
    },
    async stop() {
      if (!running) return;
      running = false;
      await Promise.all(nodes.map((node) => node.close()));
    },
    async [Symbol.asyncDispose]() {
      if (disposed) return;
      disposed = true;
      for (const client of clients) client.terminate();
      try {
        await fixture.stop();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };

  try {
    onTestFinished(() => fixture[Symbol.asyncDispose]());
  } catch {
    // Outside a test (a beforeAll): the caller disposes.
  }
  return fixture;
}

/**
 * A chat of one server process, also on PostgreSQL: for what each process
 * keeps for itself (budgets, the connection cap, typing throttles, big-room
 * rosters), which the protocol reference says is per process.
 */
export function startOneProcess(
  overrides: Env = {},
  serverOverrides: ServerOverrides = {},
): Promise<TestServer> {
  return startTestServer(overrides, serverOverrides, { nodes: 1 });
}
