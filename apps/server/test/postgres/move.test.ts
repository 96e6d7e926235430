/**
 * `pnpm move-to-postgres` (issue 13): a SQLite chat moves into PostgreSQL and
 * every client resumes against the PostgreSQL servers without noticing.
 *
 * The main test is the crash test's scenario carried over: four clients
 * stream messages into two rooms while the SQLite server, a child process,
 * is SIGKILLed mid-traffic (restarted in between, as in crash.test.ts); the
 * last kill leaves the file as a crash leaves it (WAL and all), and the
 * command moves it, run as an operator runs it. Two PostgreSQL server
 * processes (one Redis between them) then take the old address, behind a
 * round-robin proxy, and the same clients come back with their tokens and
 * (since, epoch). The others: a target that holds anything is refused and
 * left as it was; bad arguments; an unreachable PostgreSQL; U+0000 and
 * non-ASCII byte for byte; a checksum that differs is reported.
 *
 * MOVE_KILLS (default 3) and MOVE_SEED (default: random, printed) make a
 * failing run repeatable.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';

import { hashToken } from '../../src/chat/tokens.js';
import { loadConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { migrate } from '../../src/postgres/schema.js';
import { MIGRATIONS } from '../../src/sqlite/schema.js';
import { parseMoveArgs } from '../../src/tools/move-args.js';
import { openSource } from '../../src/tools/move-source.js';
import { copyAll } from '../../src/tools/move-copy.js';
import {
  formatReport,
  verifyInTransaction,
  verifyMove,
  type VerifyReport,
} from '../../src/tools/move-verify.js';
import { launchServer, NO_RATE_LIMIT, SERVER_DIR } from '../helpers/child.js';
import { readRoom, TestClient } from '../helpers/client.js';
import { waitFor } from '../helpers/metrics.js';
import { freshSchema, query, startCluster, type PostgresCluster } from '../helpers/postgres.js';
import { prng } from '../helpers/random.js';
import { ReconnectingClient } from '../helpers/reconnecting.js';
import { startRedisServer, type RedisServer } from '../helpers/redis.js';
import { OPEN_BUDGETS } from '../helpers/server.js';

const KILLS = Number(process.env.MOVE_KILLS ?? 3);
const SEED = Number(process.env.MOVE_SEED ?? Math.floor(Math.random() * 2 ** 31));
const ROOMS = ['alpha', 'beta'] as const;

let cluster: PostgresCluster;
let redis: RedisServer;

beforeAll(async () => {
  [cluster, redis] = await Promise.all([startCluster(), startRedisServer()]);
});
afterAll(async () => {
  await Promise.allSettled([cluster.stop(), redis.dispose()]);
});

interface MoveRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the command as an operator would (its own process, from the package folder), bounded. */
function runMove(args: readonly string[], timeoutMs = 60_000): Promise<MoveRun> {
  const env: Record<string, string> = {};
  for (const key of ['PATH', 'HOME', 'TMPDIR']) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  const child = spawn(
    process.execPath,
    ['--conditions=@tether/source', '--import', 'tsx', 'src/tools/move-to-postgres.ts', ...args],
    { cwd: SERVER_DIR, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`move still running after ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tether-move-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A SQLite file made directly, at schema `version` (an older Tether's), filled by `fill`. */
async function sqliteChat(
  fill: (db: Database.Database) => void,
  version = MIGRATIONS.length,
): Promise<string> {
  const file = join(await tempDir(), 'chat.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  for (let v = 1; v <= version; v++) {
    const migration = MIGRATIONS[v - 1]!;
    if (typeof migration === 'string') db.exec(migration);
    else migration(db);
  }
  db.pragma(`user_version = ${version}`);
  fill(db);
  db.close();
  return file;
}

/** Two users, two rooms (one empty), five messages. */
const smallChat = (db: Database.Database): void => {
  db.prepare(`INSERT INTO users VALUES ('u_a', 'alice', 'alice', 'hash-a', 9999999999999)`).run();
  db.prepare(`INSERT INTO users VALUES ('u_b', 'bob', 'bob', 'hash-b', 9999999999999)`).run();
  db.prepare(
    `INSERT INTO rooms (name, epoch, seq) VALUES ('general', 'e_general', 5), ('quiet', 'e_quiet', 0)`,
  ).run();
  const insert = db.prepare(
    'INSERT INTO messages (room, seq, ts, client_id, user_id, user_name, text) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  for (let seq = 1; seq <= 5; seq++) {
    const [id, name] = seq % 2 ? ['u_a', 'alice'] : ['u_b', 'bob'];
    insert.run('general', seq, 1_764_000_000_000 + seq, `c${seq}`, id, name, `m${seq}`);
  }
};

/** A PostgreSQL server process of the chat (in this process), on `url`, with the run's Redis. */
async function postgresServer(url: string, prefix: string): Promise<RunningServer> {
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: url,
    REDIS_URL: redis.url,
    REDIS_PREFIX: prefix,
    ...OPEN_BUDGETS,
    ...NO_RATE_LIMIT,
    LOG_LEVEL: 'silent',
  });
  const server = await startServer(config);
  onTestFinished(() => server.close());
  return server;
}

/** A load balancer in front of the servers: each new connection goes to the next one. */
async function roundRobin(port: number, targets: readonly number[]): Promise<void> {
  const sockets = new Set<Socket>();
  let turn = 0;
  const proxy = createServer((down) => {
    const up = connect(targets[turn++ % targets.length]!, '127.0.0.1');
    for (const socket of [down, up]) {
      sockets.add(socket);
      socket.on('error', () => {
        down.destroy();
        up.destroy();
      });
      socket.on('close', () => sockets.delete(socket));
    }
    down.pipe(up).pipe(down);
  });
  await new Promise<void>((resolve, reject) => {
    proxy.once('error', reject);
    proxy.listen(port, '127.0.0.1', resolve);
  });
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        proxy.close(() => resolve());
      }),
  );
}

/** Everything acked is stored once, at its acked room and seq, with its text; seqs run 1..N per room. */
async function verifyAcked(
  wsUrl: string,
  clients: readonly ReconnectingClient[],
  when: string,
): Promise<number> {
  const stored = new Map<string, { at: string; text: string }>();
  const problems: string[] = [];
  let total = 0;
  for (const room of ROOMS) {
    const { messages } = await readRoom(wsUrl, room);
    total += messages.length;
    if (messages.some((m, i) => m.seq !== i + 1))
      problems.push(`${room}: seqs are not 1..${messages.length}`);
    for (const m of messages) {
      const key = `${m.from.id}/${m.id}`;
      if (stored.has(key)) problems.push(`${key} stored twice`);
      stored.set(key, { at: `${m.room}:${m.seq}`, text: m.text });
    }
  }
  for (const c of clients) {
    for (const [id, { room, seq }] of c.acked) {
      const found = stored.get(`${c.userId}/${id}`);
      if (found?.at !== `${room}:${seq}`)
        problems.push(`${id} acked at ${room}:${seq}, stored at ${found?.at ?? 'nowhere'}`);
      else if (found.text !== c.sent.get(id)?.text) problems.push(`${id}: stored text differs from sent`);
    }
  }
  expect(problems, when).toEqual([]);
  return total;
}

/** Waits, bounded, until `ok()` holds. */
const until = (ok: () => boolean, timeoutMs: number, what: string) =>
  waitFor(() => (ok() ? true : undefined), timeoutMs, what);

const sum = (clients: readonly ReconnectingClient[], of: (c: ReconnectingClient) => number) =>
  clients.reduce((n, c) => n + of(c), 0);

describe('moving a SQLite chat to PostgreSQL', () => {
  it(
    'moves a database left by SIGKILLs under load; the same clients resume on two PostgreSQL processes',
    { timeout: 180_000 },
    async () => {
      const random = prng(SEED);
      const sqlite = await launchServer({ ...NO_RATE_LIMIT });
      // Manual reconnects: they come back only when told, first to SQLite, at the end to PostgreSQL.
      const clients = Array.from(
        { length: 4 },
        (_, i) => new ReconnectingClient(sqlite.wsUrl, `sender${i}`, { reconnect: 'manual' }),
      );
      onTestFinished(() => {
        for (const c of clients) c.stop();
      });
      for (const c of clients) for (const room of ROOMS) c.join(room);
      const resume = async () => {
        for (const c of clients) c.start();
        await Promise.all(clients.map((c) => c.ready(10_000)));
        await until(() => clients.every((c) => c.unacked === 0), 10_000, 'resends acked');
      };
      /** Traffic for a random 100–400 ms, then SIGKILL mid-flight. */
      const killUnderLoad = async () => {
        for (const c of clients) c.keepSending(6);
        await sleep(Math.round(100 + random() * 300));
        for (const c of clients) c.keepSending(0);
        expect((await sqlite.kill('SIGKILL')).signal).toBe('SIGKILL');
        await until(() => clients.every((c) => !c.isOpen()), 5000, 'clients see the kill');
      };
      await resume();
      for (let kill = 1; kill < KILLS; kill++) {
        await killUnderLoad();
        await sqlite.restart();
        await resume();
      }
      await killUnderLoad();
      const inFlight = sum(clients, (c) => c.unacked);
      const ackedOnSqlite = sum(clients, (c) => c.acked.size);
      const userIds = clients.map((c) => c.userId);

      // The file as the kill left it, moved by the command.
      const file = join(sqlite.dir, 'chat.db');
      const url = await freshSchema(cluster.url);
      const started = Date.now();
      const moved = await runMove(['--from', file, '--to', url]);
      const seconds = (Date.now() - started) / 1000;
      expect(moved.stderr).toBe('');
      expect(moved.code).toBe(0);
      expect(moved.stdout).toMatch(/moved and verified/);
      console.log(`move (seed ${SEED}): ${seconds.toFixed(1)} s in all, tsx start included\n${moved.stdout}`);

      // What SQLite held, read after the move (the move wrote nothing to it).
      const db = new Database(file, { readonly: true });
      const sqliteRooms = db.prepare('SELECT name, epoch, seq FROM rooms ORDER BY name').all();
      const sqliteMessages = db
        .prepare<
          [],
          { room: string; seq: number; ts: number; client_id: string; user_id: string; text: string }
        >('SELECT room, seq, ts, client_id, user_id, text FROM messages ORDER BY room, seq')
        .all();
      db.close();
      expect(await query(url, 'SELECT name, epoch, seq FROM rooms ORDER BY name')).toEqual(sqliteRooms);
      expect(sqliteMessages.length).toBeGreaterThanOrEqual(ackedOnSqlite);

      // Two PostgreSQL processes take the old address behind a round-robin proxy.
      const prefix = `m${randomBytes(4).toString('hex')}:`;
      const nodes = [await postgresServer(url, prefix), await postgresServer(url, prefix)];
      await roundRobin(
        sqlite.port,
        nodes.map((node) => node.port),
      );

      // Before anyone resends: everything acked on SQLite is there, once, with no gap.
      expect(await verifyAcked(sqlite.wsUrl, clients, `after the move (seed ${SEED})`)).toBe(
        sqliteMessages.length,
      );

      // A resume with the old (since, epoch) on each process continues the same history.
      const ts = new Map(sqliteMessages.map((m) => [`${m.user_id}/${m.client_id}`, m.ts]));
      for (const [i, room] of ROOMS.entries()) {
        const state = sqliteRooms.find((r) => (r as { name: string }).name === room) as {
          epoch: string;
          seq: number;
        };
        const reader = await TestClient.connect(nodes[i % 2]!.wsUrl);
        await reader.hello(`resumer${i}`);
        const joined = await reader.join(room, { since: state.seq - 3, epoch: state.epoch });
        expect(joined.epoch).toBe(state.epoch);
        expect(joined.seq).toBe(state.seq);
        expect(joined.messages.map((m) => m.seq)).toEqual([state.seq - 2, state.seq - 1, state.seq]);
        reader.terminate();
      }

      // The same clients come back: same tokens and users; the sends in flight at the kill are settled.
      await resume();
      expect(clients.map((c) => c.userId)).toEqual(userIds);
      expect(clients.flatMap((c) => c.problems)).toEqual([]);

      // A resend of an acked id, on either process, gets its original ack (the
      // time SQLite stored, or PostgreSQL's for the sends settled just now).
      const pgTimes = await query<{ user_id: string; client_id: string; ts: number }>(
        url,
        'SELECT user_id, client_id, ts::float8 AS ts FROM messages',
      );
      for (const m of pgTimes)
        if (!ts.has(`${m.user_id}/${m.client_id}`)) ts.set(`${m.user_id}/${m.client_id}`, m.ts);
      for (const [i, c] of clients.entries()) {
        const again = await TestClient.connect(nodes[i % 2]!.wsUrl);
        const welcome = await again.hello(c.name, c.token);
        expect(welcome.user.id).toBe(c.userId);
        const acked = [...c.acked].filter((_, n) => n < 3 || n >= c.acked.size - 3);
        for (const [id, first] of acked) {
          const ack = await again.say(first.room, c.sent.get(id)!.text, id);
          expect({ room: ack.room, seq: ack.seq, ts: ack.ts }).toEqual({
            ...first,
            ts: ts.get(`${c.userId}/${id}`),
          });
        }
        again.terminate();
      }

      // Traffic goes on on PostgreSQL, and the whole history is still exact.
      for (const c of clients) c.keepSending(6);
      await sleep(300);
      for (const c of clients) c.keepSending(0);
      await until(() => clients.every((c) => c.unacked === 0), 10_000, 'acks on PostgreSQL');
      const total = await verifyAcked(sqlite.wsUrl, clients, `on PostgreSQL (seed ${SEED})`);
      const acked = sum(clients, (c) => c.acked.size);
      expect(total).toBe(acked);
      expect(clients.flatMap((c) => c.problems)).toEqual([]);
      expect(acked).toBeGreaterThan(ackedOnSqlite);
      console.log(
        `move scenario (seed ${SEED}): ${KILLS} SIGKILLs, ${ackedOnSqlite} acked on SQLite, ${inFlight} in flight at the last kill, ` +
          `${sqliteMessages.length} stored and moved, ${acked} acked in all, ${total} stored, lost 0, duplicated 0`,
      );
    },
  );
});

/** Every row of the three tables, to show a refused move changed nothing. */
async function snapshot(url: string): Promise<unknown[][]> {
  return Promise.all([
    query(url, 'SELECT * FROM users ORDER BY id'),
    query(url, 'SELECT * FROM rooms ORDER BY name'),
    query(url, 'SELECT * FROM messages ORDER BY room, seq'),
  ]);
}

describe('what the command refuses', () => {
  it('refuses a target that holds any user, room or message, and leaves it as it was', async () => {
    const file = await sqliteChat(smallChat);
    const holding = {
      user: `INSERT INTO users VALUES ('u_x', 'xavier', 'xavier', 'hash-x', 1)`,
      room: `INSERT INTO rooms (name, epoch, seq) VALUES ('lobby', 'e_lobby', 0)`,
      message: `INSERT INTO messages (room, seq, ts, client_id, user_id, user_name, text, rev) VALUES ('lobby', 1, 1, 'c', 'u_x', 'xavier', 'hi', 1)`,
    };
    const targets = await Promise.all(
      Object.entries(holding).map(async ([what, insert]) => {
        const url = await freshSchema(cluster.url);
        // The schema as a server makes it, then one row.
        const pool = new pg.Pool({ connectionString: url, max: 1 });
        await migrate(pool).finally(() => pool.end());
        await query(url, insert);
        return { what, url, before: await snapshot(url) };
      }),
    );
    const runs = await Promise.all(targets.map(({ url }) => runMove(['--from', file, '--to', url])));
    for (const [i, run] of runs.entries()) {
      const { what, url, before } = targets[i]!;
      expect(run.code, what).toBe(1);
      expect(run.stderr.trim().split('\n'), what).toHaveLength(1);
      expect(run.stderr, what).toMatch(/^move-to-postgres: refused: the target database already holds/);
      expect(run.stderr, what).toMatch(/nothing was written/);
      expect(await snapshot(url), what).toEqual(before);
    }
  });

  it('answers each bad argument with one line naming it, and exit code 2', { timeout: 60_000 }, async () => {
    const file = await sqliteChat(smallChat);
    const url = 'postgres://tether:secret@127.0.0.1:1/tether';
    const cases: [args: string[], says: RegExp][] = [
      [[], /^--from is missing/],
      [['--from', file], /^--to is missing/],
      [['--to', url], /^--from is missing/],
      [['--from'], /^--from needs a value/],
      [['--from', file, '--to'], /^--to needs a value/],
      [['--from=', '--to', url], /^--from needs a value/],
      [['--from', '/nowhere/chat.db', '--to', url], /^--from \/nowhere\/chat\.db: does not exist/],
      [['--from', tmpdir(), '--to', url], /^--from .*: is not a file/],
      [['--from', file, '--to', 'not a url'], /^--to: is not a URL/],
      [
        ['--from', file, '--to', 'mysql://tether:secret@db/tether'],
        /^--to: the scheme is mysql:, not postgres:/,
      ],
      [['--from', file, '--from', file, '--to', url], /^--from is given twice/],
      [['--from', file, '--to', url, '--force'], /^unknown argument "--force"/],
      [['--from', file, url], /^unknown argument a URL/],
    ];
    for (const [args, says] of cases) {
      const parsed = parseMoveArgs(args, SERVER_DIR);
      const message = parsed.kind === 'error' ? parsed.message : parsed.kind;
      expect(message, JSON.stringify(args)).toMatch(says);
      expect(message, JSON.stringify(args)).not.toMatch(/secret|\n/);
    }
    // As a process: one line on stderr, nothing on stdout, exit 2 (a few of
    // them: each start of the command under tsx costs a second of CPU).
    for (const i of [0, 6, 9, 11]) {
      const [args, says] = cases[i]!;
      const run = await runMove(args);
      expect(run.code, JSON.stringify(args)).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr.split('\n')).toEqual([
        expect.stringMatching(/^move-to-postgres: .* \(see --help\)$/),
        '',
      ]);
      expect(run.stderr.slice('move-to-postgres: '.length)).toMatch(says);
      expect(run.stderr).not.toMatch(/secret/);
    }
    const help = await runMove(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: move-to-postgres --from <sqlite file> --to <postgres url>/);
  });

  it('refuses a file that is not a Tether database, writing nothing to it', async () => {
    const file = join(await tempDir(), 'empty.db');
    await writeFile(file, '');
    const run = await runMove(['--from', file, '--to', await freshSchema(cluster.url)]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^move-to-postgres: could not open .*empty\.db: it is not a Tether database/);
    expect((await stat(file)).size).toBe(0);
  });

  it('says clearly, without the password, that PostgreSQL cannot be reached', async () => {
    const file = await sqliteChat(smallChat);
    const run = await runMove(['--from', file, '--to', 'postgres://tether:secret@127.0.0.1:1/tether']);
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(
      /^move-to-postgres: could not prepare postgres at postgres:\/\/tether:\*\*\*@127\.0\.0\.1:1\/tether: .*ECONNREFUSED/,
    );
    expect(run.stdout + run.stderr).not.toMatch(/secret/);
  });
});

describe('what the move keeps exactly', () => {
  it('keeps texts with U+0000 and non-ASCII names byte for byte, and a look-alike keeps its name', async () => {
    const texts = [
      'nul\u0000inside',
      '\u0000',
      'שלום עולם',
      '😀👍🏽 e\u0301',
      'tab\tand\nnewline',
      '"a\\u0000b"',
      '\\',
    ];
    const names = ['Zoë', '山田太郎', 'Ωμέγα', 'alice'];
    const file = await sqliteChat((db) => {
      const insert = db.prepare(
        'INSERT INTO messages (room, seq, ts, client_id, user_id, user_name, text) VALUES (?, ?, ?, ?, ?, ?, ?)',
      );
      names.forEach((name, u) => {
        db.prepare('INSERT INTO users VALUES (?, ?, ?, ?, ?)').run(
          `u_${u}`,
          name,
          name.toLowerCase(),
          hashToken(`t${u}`),
          9e12,
        );
      });
      texts.forEach((text, i) =>
        insert.run('unicode', i + 1, 1000 + i, `c${i}`, `u_${i % 4}`, names[i % 4], text),
      );
      db.prepare(`INSERT INTO rooms (name, epoch, seq) VALUES ('unicode', 'e_unicode', ?)`).run(texts.length);
      // A Cyrillic "аlice" from before look-alikes were folded: migration 3 kept
      // her name under a key no name can produce ("alice", U+0000, her id).
      db.prepare('INSERT INTO users VALUES (?, ?, ?, ?, ?)').run(
        'u_look',
        'аlice',
        'alice\u0000u_look',
        hashToken('tl'),
        9e12,
      );
    });
    const url = await freshSchema(cluster.url);
    const run = await runMove(['--from', file, '--to', url]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);

    const server = await postgresServer(url, `e${randomBytes(4).toString('hex')}:`);
    const { messages } = await readRoom(server.wsUrl, 'unicode');
    expect(messages.map((m) => [m.text, m.from.name, m.ts])).toEqual(
      texts.map((text, i) => [text, names[i % 4], 1000 + i]),
    );
    expect(messages.map((m) => Buffer.from(m.text, 'utf8').toString('hex'))).toEqual(
      texts.map((text) => Buffer.from(text, 'utf8').toString('hex')),
    );
    for (const [u, name] of names.entries()) {
      const client = await TestClient.connect(server.wsUrl);
      expect((await client.hello(name, `t${u}`)).user).toEqual({ id: `u_${u}`, name });
      client.terminate();
    }
    const look = await TestClient.connect(server.wsUrl);
    expect((await look.hello('аlice', 'tl')).user).toEqual({ id: 'u_look', name: 'аlice' });
    look.terminate();
    // Her key still blocks nobody's name but hers, and "alice" is still alice's.
    const stranger = await TestClient.connect(server.wsUrl);
    await expect(stranger.hello('ALICE')).rejects.toThrow(/name_taken/);
    stranger.terminate();
    expect(await query(url, `SELECT name_key FROM users WHERE id = 'u_look'`)).toEqual([
      { name_key: 'alice\uffffu_look' },
    ]);
  });

  it('refuses a chat whose messages were changed (edits, reactions), which it cannot copy yet, writing nothing', async () => {
    const file = await sqliteChat((db) => {
      smallChat(db);
      // Message 5 edited by event 6, and a reaction on message 4.
      db.prepare(`UPDATE rooms SET seq = 6 WHERE name = 'general'`).run();
      db.prepare(`UPDATE messages SET rev = 6, edited = 1764000000006, text = 'm5!' WHERE seq = 5`).run();
      db.prepare(`INSERT INTO reactions VALUES ('general', 4, '👍', 'u_a', 1)`).run();
    });
    const url = await freshSchema(cluster.url);
    const run = await runMove(['--from', file, '--to', url]);
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(
      /^move-to-postgres: refused: .* holds changed messages \(1 edited, deleted or replies, 1 reactions, 0 change keys\)/,
    );
    expect(run.stderr).toMatch(/nothing was written/);
    expect(await query(url, 'SELECT count(*)::int AS n FROM messages')).toEqual([{ n: 0 }]);
  });

  it('moves a database made by an older Tether (schema 1), bringing it up to date first', async () => {
    const file = await sqliteChat(smallChat, 1);
    const url = await freshSchema(cluster.url);
    const run = await runMove(['--from', file, '--to', url]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/\(SQLite schema 1\)/);
    const db = new Database(file, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    db.close();
    expect(await query(url, 'SELECT name, epoch, seq FROM rooms ORDER BY name')).toEqual([
      { name: 'general', epoch: 'e_general', seq: 5 },
      { name: 'quiet', epoch: 'e_quiet', seq: 0 },
    ]);
  });

  it('finds a row that differs between the copy and its check, and commits nothing then', async () => {
    const file = await sqliteChat(smallChat);
    const url = await freshSchema(cluster.url);
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    await migrate(pool);
    const source = openSource(file);
    try {
      const tamper = [
        `UPDATE messages SET text = 'm2!' WHERE room = 'general' AND seq = 2`,
        `UPDATE rooms SET epoch = 'e_other' WHERE name = 'quiet'`,
        `UPDATE users SET token_hash = 'stolen' WHERE id = 'u_b'`,
      ];
      const expected = [
        'users: the checksum differs (a name, key, token hash or expiry was not copied exactly)',
        'room general: the checksum of its messages differs',
        'room quiet: epoch e_quiet became e_other',
      ];
      // Corrupted inside the move's transaction, between the copy and the check.
      let report: VerifyReport | undefined;
      const moved = await copyAll(
        source,
        pool,
        () => undefined,
        async (client) => {
          for (const sql of tamper) await client.query(sql);
          report = await verifyInTransaction(source, client);
          return report.mismatches.length === 0;
        },
      );
      expect(moved.committed).toBe(false);
      expect(report?.mismatches).toEqual(expected);
      const table = formatReport(report!).join('\n');
      expect(table).toMatch(/^general .* DIFFERS$/m);
      expect(table).toMatch(/^quiet +e_quiet → e_other .* DIFFERS$/m);
      expect(table).toMatch(/^messages +5 +5 +ok$/m);
      expect(await snapshot(url)).toEqual([[], [], []]);

      // The check on its own, after a move that committed and a change since.
      expect(
        (
          await copyAll(
            source,
            pool,
            () => undefined,
            () => Promise.resolve(true),
          )
        ).committed,
      ).toBe(true);
      expect((await verifyMove(source, pool)).mismatches).toEqual([]);
      for (const sql of tamper) await query(url, sql);
      expect((await verifyMove(source, pool)).mismatches).toEqual(expected);
    } finally {
      source.close();
      await pool.end();
    }
  });
});
