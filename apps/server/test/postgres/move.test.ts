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
 * (since, epoch). Then a chat whose messages were changed (issue 14: edits,
 * deletes, reactions, replies) made through a real SQLite server, moved,
 * and served from PostgreSQL: the same history, the same resumes from every
 * `since`, resent changes answered as duplicates, new changes numbered on
 * from the room's seq, no deleted text anywhere in PostgreSQL. The others: a
 * target that holds anything is refused and left as it was; bad arguments;
 * an unreachable PostgreSQL; U+0000 and non-ASCII byte for byte; a checksum
 * that differs is reported.
 *
 * MOVE_KILLS (default 3) and MOVE_SEED (default: random, printed) make a
 * failing run repeatable.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import type { Message, ServerMessageOf } from '@tether/protocol';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';

import type { ChatStore } from '../../src/chat/ports.js';
import { hashToken } from '../../src/chat/tokens.js';
import { loadConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { migrate } from '../../src/postgres/schema.js';
import { PostgresStore } from '../../src/postgres/store.js';
import { MIGRATIONS } from '../../src/sqlite/schema.js';
import { SqliteStore } from '../../src/sqlite/store.js';
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
import { newId, readRoom, TestClient } from '../helpers/client.js';
import { waitFor } from '../helpers/metrics.js';
import { freshSchema, query, startCluster, type PostgresCluster } from '../helpers/postgres.js';
import { prng } from '../helpers/random.js';
import { ReconnectingClient } from '../helpers/reconnecting.js';
import { startRedisServer, type RedisServer } from '../helpers/redis.js';
import { OPEN_BUDGETS, startTestServer } from '../helpers/server.js';

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

/**
 * A SQLite file made directly, at schema `version` (an older Tether's),
 * filled by `fill`. Messages inserted without a rev get their seq, as a
 * server writes a message never changed (the column's default, 0, is only
 * there for the migration that added it).
 */
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
  if (version >= 4) db.exec('UPDATE messages SET rev = seq WHERE rev = 0');
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

/**
 * smallChat, then changed as a server changes it (the rows its writer
 * leaves): message 5 edited by event 6 (and an edit to the same text, a
 * no-op answered with rev 6), bob's 👍 on message 4 by event 7, message 3
 * deleted by event 8, message 9 a reply to that tombstone.
 */
const changedChat = (db: Database.Database): void => {
  smallChat(db);
  const t = 1_764_000_000_000;
  db.prepare(`UPDATE rooms SET seq = 9 WHERE name = 'general'`).run();
  db.prepare(`UPDATE messages SET rev = 6, edited = ?, text = 'm5!' WHERE room = 'general' AND seq = 5`).run(
    t + 6,
  );
  db.prepare(`UPDATE messages SET rev = 7 WHERE room = 'general' AND seq = 4`).run();
  db.prepare(`INSERT INTO reactions VALUES ('general', 4, '👍', 'u_b', 7)`).run();
  db.prepare(
    `UPDATE messages SET rev = 8, deleted = 1, text = '', edited = NULL WHERE room = 'general' AND seq = 3`,
  ).run();
  db.prepare(
    'INSERT INTO messages (room, seq, ts, client_id, user_id, user_name, text, rev, reply_to) ' +
      `VALUES ('general', 9, ?, 'c9', 'u_b', 'bob', 'm9', 9, 3)`,
  ).run(t + 9);
  const key = db.prepare('INSERT INTO changes VALUES (?, ?, ?, ?, ?, ?, ?)');
  key.run('u_a', 'e6', 'general', 6, t + 6, 5, 1);
  key.run('u_a', 'e6again', 'general', 6, t + 60, 5, 0);
  key.run('u_b', 'r7', 'general', 7, t + 7, 4, 1);
  key.run('u_a', 'd8', 'general', 8, t + 8, 3, 1);
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

type Answer = ServerMessageOf<'ack'> | ServerMessageOf<'error'>;

/** Sends a request (with its own id, or a new one) and resolves with its ack; anything else fails. */
async function acked(client: TestClient, frame: Record<string, unknown>): Promise<ServerMessageOf<'ack'>> {
  const id = typeof frame.id === 'string' ? frame.id : newId();
  client.send({ ...frame, id });
  const answer = await client.nextWhere<Answer>(
    (f) => (f.type === 'ack' || f.type === 'error') && f.id === id,
  );
  if (answer.type !== 'ack') throw new Error(`${JSON.stringify(frame)} answered ${JSON.stringify(answer)}`);
  return answer;
}

/** What clients see of a room: its whole history, and a resume (join with `since`) from every seq up to its last. */
interface RoomView {
  latest: number;
  messages: Message[];
  resumes: { since: number; seq: number; epoch: string; messages: Message[]; hasMore: boolean }[];
}

async function viewRoom(wsUrl: string, room: string, resumer: TestClient): Promise<RoomView> {
  const { latest, messages } = await readRoom(wsUrl, room);
  const { epoch } = await resumer.join(room);
  const resumes: RoomView['resumes'] = [];
  for (let since = 0; since <= latest; since++) {
    // Joining a room the connection is in answers joined again: a resume each time.
    const joined = await resumer.join(room, { since, epoch });
    resumes.push({
      since,
      seq: joined.seq,
      epoch: joined.epoch,
      messages: joined.messages,
      hasMore: joined.hasMore,
    });
  }
  return { latest, messages, resumes };
}

/**
 * What a server reads from its store for a room, from every `since`: the
 * events (messages and updates) that fill a gap in live delivery, and the
 * resume page (cut at 3 messages, so `hasMore` and the cut show too).
 */
async function storeView(store: ChatStore, rooms: ReadonlyMap<string, number>): Promise<unknown[]> {
  const seen: unknown[] = [];
  for (const [room, latest] of rooms) {
    for (let since = 0; since <= latest; since++) {
      seen.push({
        room,
        since,
        events: await store.events(room, since, 1000),
        after: await store.after(room, since, 3),
      });
    }
  }
  return seen;
}

/** The files under `dir` whose bytes hold `needle` (files that vanish meanwhile are skipped), and how many were read. */
async function filesHolding(dir: string, needle: Buffer): Promise<{ read: number; holding: string[] }> {
  const holding: string[] = [];
  let read = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch {
      continue;
    }
    read += 1;
    if (bytes.includes(needle)) holding.push(path);
  }
  return { read, holding };
}

describe('moving a chat whose messages were changed', () => {
  it(
    'keeps edits, tombstones, replies, reactions and change keys: PostgreSQL answers resumes, resends and new changes as SQLite did',
    { timeout: 120_000 },
    async () => {
      const secret = `deleted-${randomBytes(8).toString('hex')}`;
      const srv = await startTestServer({ ...NO_RATE_LIMIT });
      const alice = await srv.user('alice');
      const bob = await srv.user('bob');
      const ROOM_NAMES = ['general', 'side'];
      for (const c of [alice, bob]) for (const room of ROOM_NAMES) await c.join(room);
      // Every request answered with an ack on SQLite, to be sent again on PostgreSQL.
      const requests: {
        who: 'alice' | 'bob';
        frame: Record<string, unknown>;
        ack: ServerMessageOf<'ack'>;
      }[] = [];
      const ask = async (who: 'alice' | 'bob', frame: Record<string, unknown>) => {
        const withId = { ...frame, id: newId() };
        const ack = await acked(who === 'alice' ? alice : bob, withId);
        requests.push({ who, frame: withId, ack });
        return ack;
      };
      const send = (room: string, text: string, replyTo?: number) => ({
        type: 'send',
        room,
        text,
        ...(replyTo === undefined ? {} : { replyTo }),
      });
      const edit = (target: number, text: string) => ({ type: 'edit', room: 'general', target, text });
      const del = (target: number) => ({ type: 'delete', room: 'general', target });
      const react = (room: string, target: number, emoji: string, on = true) => ({
        type: 'react',
        room,
        target,
        emoji,
        on,
      });

      // The seq each takes in general, in comments.
      const hello = await ask('alice', send('general', 'hello')); // 1
      const hidden = await ask('alice', send('general', `${secret}: soon deleted`)); // 2
      const bobs = await ask('bob', send('general', "bob's first")); // 3
      await ask('bob', react('general', hidden.seq, '👍')); // 4, dropped with the delete
      await ask('bob', send('general', 'a reply to what will be deleted', hidden.seq)); // 5
      const edited = await ask('alice', edit(hello.seq, 'hello, edited')); // 6
      const deleted = await ask('alice', del(hidden.seq)); // 7
      await ask('alice', react('general', bobs.seq, '🎉')); // 8
      await ask('bob', react('general', bobs.seq, '🎉')); // 9
      await ask('bob', react('general', bobs.seq, '👍')); // 10
      await ask('bob', react('general', bobs.seq, '👍', false)); // 11
      const sameText = await ask('alice', edit(hello.seq, 'hello, edited')); // no event: rev 6
      const again = await ask('alice', del(hidden.seq)); // no event: rev 7
      await ask('bob', send('general', 're: hello', hello.seq)); // 12
      const nul = await ask('alice', edit(hello.seq, 'hello\u0000again')); // 13, U+0000 in an edited text
      await ask('alice', send('general', 'last')); // 14
      const note = await ask('bob', send('side', 'side note')); // side 1
      await ask('alice', react('side', note.seq, '❤️')); // side 2
      expect([edited.seq, deleted.seq, sameText.seq, again.seq, nul.seq]).toEqual([6, 7, 6, 7, 13]);

      const resumer = await srv.user('resumer');
      const onSqlite = new Map<string, RoomView>();
      for (const room of ROOM_NAMES) onSqlite.set(room, await viewRoom(srv.wsUrl, room, resumer));
      const latest = new Map([...onSqlite].map(([room, view]) => [room, view.latest]));
      expect(latest).toEqual(
        new Map([
          ['general', 14],
          ['side', 2],
        ]),
      );
      await srv.stop();
      const file = srv.databasePath;
      const sqliteStore = new SqliteStore(file);
      const fromSqlite = await storeView(sqliteStore, latest).finally(() => sqliteStore.close());

      const url = await freshSchema(cluster.url);
      const moved = await runMove(['--from', file, '--to', url]);
      expect(moved.stderr).toBe('');
      expect(moved.code).toBe(0);
      expect(moved.stdout).toMatch(
        / messages \(1 edited, 1 deleted, 2 replies\), 3 reactions, 11 change keys$/m,
      );
      expect(moved.stdout).toMatch(/^reactions +3 +3 +ok$/m);
      expect(moved.stdout).toMatch(/^change keys +11 +11 +ok$/m);
      expect(moved.stdout).toMatch(/^change keys checksum .* ok$/m);
      expect(moved.stdout).toMatch(/moved and verified/);

      // The deleted text is in no row of PostgreSQL, and was never written there: no data file and no WAL segment holds it.
      for (const table of ['users', 'rooms', 'messages', 'reactions', 'changes']) {
        expect(
          await query(url, `SELECT count(*)::int AS n FROM ${table} t WHERE t::text LIKE $1`, [
            `%${secret}%`,
          ]),
          table,
        ).toEqual([{ n: 0 }]);
      }
      expect(
        await query(
          url,
          'SELECT text, text_json, edited, deleted, rev::int AS rev, ' +
            '(SELECT count(*)::int FROM reactions r WHERE r.room = m.room AND r.seq = m.seq) AS reactions ' +
            `FROM messages m WHERE room = 'general' AND seq = $1`,
          [hidden.seq],
        ),
      ).toEqual([
        { text: '', text_json: false, edited: null, deleted: true, rev: deleted.seq, reactions: 0 },
      ]);
      await query(url, 'CHECKPOINT');
      const scan = await filesHolding(cluster.dataDir, Buffer.from(secret));
      expect(scan.read).toBeGreaterThan(0);
      expect(scan.holding).toEqual([]);

      // What the store gives a server, from every since: the same events and resume pages.
      const pgStore = new PostgresStore(new pg.Pool({ connectionString: url, max: 2 }));
      expect(await storeView(pgStore, latest).finally(() => pgStore.close())).toEqual(fromSqlite);

      // What clients see: the same history, the same resume from every since.
      const server = await postgresServer(url, `c${randomBytes(4).toString('hex')}:`);
      const back = await TestClient.connect(server.wsUrl);
      onTestFinished(() => back.terminate());
      await back.hello('resumer', resumer.token);
      for (const room of ROOM_NAMES) {
        expect(await viewRoom(server.wsUrl, room, back), room).toEqual(onSqlite.get(room));
      }

      // Every request sent again with its id gets its first ack back, and changes nothing.
      const on = {
        alice: await TestClient.connect(server.wsUrl),
        bob: await TestClient.connect(server.wsUrl),
      };
      for (const [name, c] of Object.entries(on)) {
        onTestFinished(() => c.terminate());
        await c.hello(name, (name === 'alice' ? alice : bob).token);
        for (const room of ROOM_NAMES) await c.join(room);
      }
      for (const { who, frame, ack } of requests) {
        expect(await acked(on[who], frame), JSON.stringify(frame)).toEqual(ack);
      }
      // Whatever the request says now: an old edit's id with another text, or as a delete.
      const firstEdit = requests.find((r) => r.frame.type === 'edit')!;
      expect(await acked(on.alice, { ...firstEdit.frame, text: 'not applied' })).toEqual(firstEdit.ack);
      expect(await acked(on.alice, { ...del(hello.seq), id: firstEdit.frame.id })).toEqual(firstEdit.ack);
      await on.bob.expectNoFrame('update');
      await on.bob.expectNoFrame('message');
      const after = await readRoom(server.wsUrl, 'general');
      expect(after).toEqual({ latest: 14, messages: onSqlite.get('general')!.messages });
      expect(after.messages[0]).toMatchObject({ seq: hello.seq, rev: nul.seq, text: 'hello\u0000again' });

      // New changes take the room's next seqs, as if the SQLite server had gone on.
      const next = await acked(on.alice, { ...edit(hello.seq, 'hello from PostgreSQL') });
      expect(next.seq).toBe(15);
      const update = await on.bob.nextWhere<ServerMessageOf<'update'>>(
        (f) => f.type === 'update' && f.seq === next.seq,
      );
      expect(update.message).toMatchObject({
        seq: hello.seq,
        rev: next.seq,
        text: 'hello from PostgreSQL',
        edited: next.ts,
      });
      expect((await acked(on.bob, react('general', bobs.seq, '👍'))).seq).toBe(16);
      expect((await on.alice.say('general', 'after the move')).seq).toBe(17);
      expect((await acked(on.alice, react('side', note.seq, '🎉'))).seq).toBe(3);
      const resumed = await back.join('general', {
        since: 14,
        epoch: onSqlite.get('general')!.resumes[0]!.epoch,
      });
      expect(resumed.seq).toBe(17);
      expect(resumed.messages.map((m) => [m.seq, m.rev])).toEqual([
        [hello.seq, 15],
        [bobs.seq, 16],
        [17, 17],
      ]);
      expect(resumed.messages[1]!.reactions).toEqual([
        { emoji: '🎉', count: 2, users: [alice.user!.id, bob.user!.id] },
        { emoji: '👍', count: 1, users: [bob.user!.id] },
      ]);
    },
  );
});

/** Every row of the five tables, to show a refused move changed nothing. */
async function snapshot(url: string): Promise<unknown[][]> {
  return Promise.all([
    query(url, 'SELECT * FROM users ORDER BY id'),
    query(url, 'SELECT * FROM rooms ORDER BY name'),
    query(url, 'SELECT * FROM messages ORDER BY room, seq'),
    query(url, 'SELECT * FROM reactions ORDER BY room, seq, emoji, user_id'),
    query(url, 'SELECT * FROM changes ORDER BY user_id, client_id'),
  ]);
}

describe('what the command refuses', () => {
  it('refuses a target that holds any user, room, message, reaction or change key, and leaves it as it was', async () => {
    const file = await sqliteChat(smallChat);
    const holding = {
      user: `INSERT INTO users VALUES ('u_x', 'xavier', 'xavier', 'hash-x', 1)`,
      room: `INSERT INTO rooms (name, epoch, seq) VALUES ('lobby', 'e_lobby', 0)`,
      message: `INSERT INTO messages (room, seq, ts, client_id, user_id, user_name, text, rev) VALUES ('lobby', 1, 1, 'c', 'u_x', 'xavier', 'hi', 1)`,
      reaction: `INSERT INTO reactions VALUES ('lobby', 1, '👍', 'u_x', 2)`,
      'change key': `INSERT INTO changes VALUES ('u_x', 'c2', 'lobby', 2, 2, 1, true)`,
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

  it('moves changed messages as they are: current text (U+0000 too), rev, edit time, tombstone, reply, reactions, change keys', async () => {
    const file = await sqliteChat((db) => {
      changedChat(db);
      // Message 1 edited by event 10 to a text holding U+0000 (PostgreSQL stores its JSON literal).
      db.prepare(
        `UPDATE messages SET text = 'm1' || char(0) || '!', edited = 1764000000010, rev = 10 WHERE room = 'general' AND seq = 1`,
      ).run();
      db.prepare(`UPDATE rooms SET seq = 10 WHERE name = 'general'`).run();
      db.prepare(`INSERT INTO changes VALUES ('u_a', 'e10', 'general', 10, 1764000000010, 1, 1)`).run();
      // A tombstone that kept its text, edit time and a reaction (no server leaves one): moved erased.
      db.prepare(`INSERT INTO rooms (name, epoch, seq) VALUES ('odd', 'e_odd', 3)`).run();
      db.prepare(
        'INSERT INTO messages (room, seq, ts, client_id, user_id, user_name, text, rev, edited, deleted) ' +
          `VALUES ('odd', 1, 1, 'o1', 'u_a', 'alice', 'LEFTOVER', 3, 2, 1)`,
      ).run();
      db.prepare(`INSERT INTO reactions VALUES ('odd', 1, '👍', 'u_b', 2), ('odd', 7, '👍', 'u_b', 2)`).run();
    });
    const url = await freshSchema(cluster.url);
    const run = await runMove(['--from', file, '--to', url]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      / 7 messages \(2 edited, 2 deleted, 1 replies\), 1 reactions, 5 change keys$/m,
    );

    expect(
      await query(
        url,
        'SELECT room, seq::int AS seq, text, text_json, rev::int AS rev, edited::float8 AS edited, deleted, ' +
          'reply_to::int AS reply_to FROM messages ORDER BY room, seq',
      ),
    ).toEqual([
      ...[
        [1, '"m1\\u0000!"', true, 10, 1_764_000_000_010, false, null],
        [2, 'm2', false, 2, null, false, null],
        [3, '', false, 8, null, true, null],
        [4, 'm4', false, 7, null, false, null],
        [5, 'm5!', false, 6, 1_764_000_000_006, false, null],
        [9, 'm9', false, 9, null, false, 3],
      ].map(([seq, text, text_json, rev, edited, deleted, reply_to]) => ({
        room: 'general',
        seq,
        text,
        text_json,
        rev,
        edited,
        deleted,
        reply_to,
      })),
      {
        room: 'odd',
        seq: 1,
        text: '',
        text_json: false,
        rev: 3,
        edited: null,
        deleted: true,
        reply_to: null,
      },
    ]);
    expect(
      await query(url, 'SELECT room, seq::int AS seq, emoji, user_id, ord::int AS ord FROM reactions'),
    ).toEqual([{ room: 'general', seq: 4, emoji: '👍', user_id: 'u_b', ord: 7 }]);
    expect(
      await query(
        url,
        'SELECT user_id, client_id, room, seq::int AS seq, ts::float8 AS ts, target::int AS target, event ' +
          'FROM changes ORDER BY user_id, client_id',
      ),
    ).toEqual([
      {
        user_id: 'u_a',
        client_id: 'd8',
        room: 'general',
        seq: 8,
        ts: 1_764_000_000_008,
        target: 3,
        event: true,
      },
      {
        user_id: 'u_a',
        client_id: 'e10',
        room: 'general',
        seq: 10,
        ts: 1_764_000_000_010,
        target: 1,
        event: true,
      },
      {
        user_id: 'u_a',
        client_id: 'e6',
        room: 'general',
        seq: 6,
        ts: 1_764_000_000_006,
        target: 5,
        event: true,
      },
      {
        user_id: 'u_a',
        client_id: 'e6again',
        room: 'general',
        seq: 6,
        ts: 1_764_000_000_060,
        target: 5,
        event: false,
      },
      {
        user_id: 'u_b',
        client_id: 'r7',
        room: 'general',
        seq: 7,
        ts: 1_764_000_000_007,
        target: 4,
        event: true,
      },
    ]);

    // As a server shows it, and a resume from 5 finds the messages changed since, old ones too.
    const server = await postgresServer(url, `d${randomBytes(4).toString('hex')}:`);
    const reader = await TestClient.connect(server.wsUrl);
    onTestFinished(() => reader.terminate());
    await reader.hello('reader');
    const joined = await reader.join('general', { since: 5, epoch: 'e_general' });
    expect(joined.seq).toBe(10);
    const alice = { id: 'u_a', name: 'alice' };
    const bob = { id: 'u_b', name: 'bob' };
    expect(joined.messages).toEqual([
      {
        room: 'general',
        seq: 1,
        ts: 1_764_000_000_001,
        id: 'c1',
        from: alice,
        text: 'm1\u0000!',
        rev: 10,
        edited: 1_764_000_000_010,
      },
      {
        room: 'general',
        seq: 3,
        ts: 1_764_000_000_003,
        id: 'c3',
        from: alice,
        text: '',
        rev: 8,
        deleted: true,
      },
      {
        room: 'general',
        seq: 4,
        ts: 1_764_000_000_004,
        id: 'c4',
        from: bob,
        text: 'm4',
        rev: 7,
        reactions: [{ emoji: '👍', count: 1, users: ['u_b'] }],
      },
      {
        room: 'general',
        seq: 5,
        ts: 1_764_000_000_005,
        id: 'c5',
        from: alice,
        text: 'm5!',
        rev: 6,
        edited: 1_764_000_000_006,
      },
      {
        room: 'general',
        seq: 9,
        ts: 1_764_000_000_009,
        id: 'c9',
        from: bob,
        text: 'm9',
        rev: 9,
        replyTo: { seq: 3, from: alice, text: '' },
      },
    ]);
    expect((await reader.join('odd')).messages).toEqual([
      { room: 'odd', seq: 1, ts: 1, id: 'o1', from: alice, text: '', rev: 3, deleted: true },
    ]);
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
    const file = await sqliteChat(changedChat);
    const url = await freshSchema(cluster.url);
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    await migrate(pool);
    const source = openSource(file);
    try {
      const tamper = [
        `UPDATE messages SET text = 'm2!' WHERE room = 'general' AND seq = 2`,
        `UPDATE rooms SET epoch = 'e_other' WHERE name = 'quiet'`,
        `UPDATE users SET token_hash = 'stolen' WHERE id = 'u_b'`,
        `UPDATE reactions SET ord = 70 WHERE room = 'general'`,
        `DELETE FROM changes WHERE client_id = 'r7'`,
        `UPDATE changes SET seq = 7 WHERE client_id = 'e6again'`,
      ];
      const expected = [
        'change keys: 4 in SQLite, 3 in PostgreSQL',
        'users: the checksum differs (a name, key, token hash or expiry was not copied exactly)',
        'change keys: the checksum differs (a key or the ack a resend gets back was not copied exactly)',
        'room general: the checksum of its messages differs',
        'room general: the checksum of its reactions differs',
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
      expect(table).toMatch(/^messages +6 +6 +ok$/m);
      expect(table).toMatch(/^reactions +1 +1 +ok$/m);
      expect(table).toMatch(/^change keys +4 +3 +DIFFERS$/m);
      expect(await snapshot(url)).toEqual([[], [], [], [], []]);

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
