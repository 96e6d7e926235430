/**
 * The store fails: sends are answered `internal` and never
 * acked, /readyz says 503, nothing acked is lost, and service comes back by
 * itself when the store does.
 *
 * Two ways to fail: a wrapper around SqliteStore whose writes reject while a
 * flag is set, and (where this process may mount) a real SqliteStore on a
 * small tmpfs that is filled up, so SQLite itself reports a full disk.
 */
import { execFile } from 'node:child_process';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { ERROR_CODES, type Message, type ServerMessageOf } from '@tether/protocol';
import Database from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';

import { SqliteStore } from '../../src/sqlite/store.js';
import type { ChatStore } from '../../src/chat/ports.js';
import { isAck, isError, isMessage, type TestClient } from '../helpers/client.js';
import { interceptStore, type StoreMethod } from '../helpers/intercepted-store.js';
import { waitFor } from '../helpers/metrics.js';
import { makeTempDir, startTestServer, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);

/** Calls that write (or, for `check`, prove writing works): they fail while `failing` is set. */
const WRITES: ReadonlySet<StoreMethod> = new Set<StoreMethod>([
  'createUser',
  'resumeSession',
  'renameUser',
  'openRoom',
  'append',
  'sweep',
  'check',
]);

/** SqliteStore whose writes (and readiness) fail while `failing` is set; reads keep working. */
function failingStore(inner: SqliteStore): { store: ChatStore; failing: { on: boolean } } {
  const failing = { on: false };
  const store = interceptStore(inner, (method, call) =>
    failing.on && WRITES.has(method)
      ? Promise.reject(new Error('SQLITE_IOERR: disk I/O error (injected)'))
      : call(),
  );
  return { store, failing };
}

async function readyz(srv: TestServer): Promise<number> {
  const res = await fetch(`${srv.url}/readyz`, { signal: AbortSignal.timeout(3000) });
  await res.body?.cancel();
  return res.status;
}

/** Every message of a room, oldest first, read through the protocol. */
async function readAll(srv: TestServer, room: string): Promise<Message[]> {
  const reader = await srv.user(`reader${Math.random().toString(36).slice(2, 8)}`);
  const joined = await reader.join(room);
  const messages = [...joined.messages];
  for (let hasMore = joined.hasMore; hasMore;) {
    reader.send({ type: 'history', room, before: messages[0]!.seq, limit: 100 });
    const page = await reader.next('history');
    messages.unshift(...page.messages);
    hasMore = page.hasMore;
  }
  reader.terminate();
  return messages;
}

/** Sends `ids` and waits for one answer (ack or error) to each. */
async function sendAll(
  client: TestClient,
  room: string,
  ids: readonly string[],
): Promise<ServerMessageOf<'ack' | 'error'>[]> {
  for (const id of ids) client.send({ type: 'send', room, id, text: `text of ${id}` });
  const answers: ServerMessageOf<'ack' | 'error'>[] = [];
  for (const id of ids) {
    answers.push(
      await client.nextWhere<ServerMessageOf<'ack' | 'error'>>(
        (f) => (f.type === 'ack' || f.type === 'error') && f.id === id,
        5000,
        `answer to ${id}`,
      ),
    );
  }
  return answers;
}

describe('the store fails (a store that fails on purpose)', () => {
  it('answers internal and never acks while writes fail, says 503, loses nothing, and comes back', async () => {
    const dir = await makeTempDir();
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const { store, failing } = failingStore(new SqliteStore(join(dir, 'chat.db')));
    await using srv = await startTestServer({}, { store });
    const alice = await srv.user('alice');
    const bob = await srv.user('bob');
    await alice.join('general');
    await bob.join('general');
    const before = (await sendAll(alice, 'general', ['a1', 'a2', 'a3'])).filter(isAck);
    expect(before.map((a) => a.seq)).toEqual([1, 2, 3]);
    await bob.collect(3, isMessage);
    expect(await readyz(srv)).toBe(200);

    failing.on = true;
    const during = await sendAll(alice, 'general', ['f1', 'f2', 'f3', 'f4', 'f5']);
    expect(during.map((f) => (f.type === 'error' ? f.code : f.type))).toEqual(
      Array(5).fill(ERROR_CODES.INTERNAL),
    );
    // Each names the request it answers, so a client with several in flight knows which failed.
    expect(during.every((f) => f.type === 'error' && f.room === 'general' && f.request === 'send')).toBe(
      true,
    );
    await alice.expectNoFrame('ack', 200);
    await bob.expectNoFrame('message', 0);
    expect(await readyz(srv)).toBe(503);
    expect((await fetch(`${srv.url}/healthz`)).status).toBe(200);
    // Sessions need writes too: a newcomer is told, and its connection stays open.
    const newcomer = await srv.connect();
    newcomer.send({ type: 'hello', v: 1, name: 'newcomer' });
    expect(await newcomer.nextError(ERROR_CODES.INTERNAL)).toMatchObject({ request: 'hello' });
    expect(newcomer.isOpen()).toBe(true);
    expect(alice.isOpen() && bob.isOpen()).toBe(true);

    failing.on = false;
    await waitFor(async () => ((await readyz(srv)) === 200 ? true : undefined), 5000, 'readyz 200');
    // The refused ids were not used up: resent, they are stored now, in order, without gaps.
    const after = await sendAll(alice, 'general', ['f1', 'f2', 'f3', 'f4', 'f5', 'a4']);
    expect(after.map((f) => (f.type === 'ack' ? f.seq : f.code))).toEqual([4, 5, 6, 7, 8, 9]);
    expect((await bob.collect(6, isMessage)).map((m) => m.seq)).toEqual([4, 5, 6, 7, 8, 9]);
    expect((await newcomer.hello('newcomer')).user.name).toBe('newcomer');

    const stored = await readAll(srv, 'general');
    expect(stored.map((m) => m.id)).toEqual(['a1', 'a2', 'a3', 'f1', 'f2', 'f3', 'f4', 'f5', 'a4']);
    expect(stored.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

/** Mounts a tmpfs of `size` on `dir`; false where this process may not mount. */
async function mountTmpfs(dir: string, size: string): Promise<boolean> {
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
    return true;
  } catch {
    return false;
  }
}

/** Writes zeros to `file` until the disk is full; returns the bytes written. */
async function fillDisk(file: string): Promise<number> {
  const handle = await open(file, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  let written = 0;
  try {
    for (;;) {
      try {
        const { bytesWritten } = await handle.write(chunk);
        written += bytesWritten;
        if (bytesWritten < chunk.length) break;
      } catch {
        break; // ENOSPC
      }
    }
    // The last few bytes of a partly used page, one at a time.
    for (let i = 0; i < 4096; i++) {
      try {
        await handle.write(Buffer.alloc(1));
        written += 1;
      } catch {
        break;
      }
    }
  } finally {
    await handle.close();
  }
  return written;
}

/** The WAL header's checkpoint sequence number: it changes when SQLite starts the WAL over. */
async function walGeneration(databasePath: string): Promise<number> {
  const handle = await open(`${databasePath}-wal`, 'r');
  try {
    const header = Buffer.alloc(16);
    await handle.read(header, 0, 16, 0);
    return header.readUInt32BE(12);
  } finally {
    await handle.close();
  }
}

/**
 * Keeps SQLite from starting the WAL over. Once a checkpoint has copied the
 * whole WAL into the database, the next commit writes from the WAL's start,
 * in space the file already has: on a full disk it then succeeds (and so does
 * the readiness probe) whenever the checkpointer ran in between, which on a
 * loaded machine is often. A read transaction that uses the WAL prevents
 * that, so every commit has to grow the file. A reader that began after the
 * WAL was fully copied does not use it, so this commits (acked, pushed to
 * `acks`) until a checkpoint period passes with the WAL kept (bounded).
 */
async function pinWal(srv: TestServer, client: TestClient, acks: ServerMessageOf<'ack'>[]) {
  const db = new Database(srv.databasePath);
  const release = () => {
    if (db.inTransaction) db.exec('COMMIT');
    if (db.open) db.close();
  };
  for (let attempt = 0; attempt < 20; attempt++) {
    const [fresh] = (await sendAll(client, 'general', [`pin${attempt}a`])).filter(isAck);
    acks.push(fresh!);
    // Right after a commit: the WAL most likely still holds frames to copy.
    db.exec('BEGIN');
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    const generation = await walGeneration(srv.databasePath);
    // Several checkpoint periods (100 ms), then a commit that would start the WAL over.
    await new Promise((resolve) => setTimeout(resolve, 350));
    const [next] = (await sendAll(client, 'general', [`pin${attempt}b`])).filter(isAck);
    acks.push(next!);
    if ((await walGeneration(srv.databasePath)) === generation) {
      return { generation, walGeneration: () => walGeneration(srv.databasePath), release };
    }
    db.exec('COMMIT');
  }
  release();
  throw new Error('could not hold the WAL with a read transaction');
}

describe('the store fails (a full disk, SQLite on a small tmpfs)', () => {
  it('answers internal while the disk is full, says 503, loses nothing, and comes back when space is freed', async (ctx) => {
    const dir = await makeTempDir();
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    if (!(await mountTmpfs(dir, '8m'))) {
      ctx.skip('mounting a tmpfs needs root (CAP_SYS_ADMIN)');
      return;
    }
    onTestFinished(async () => {
      await run('umount', ['-l', dir]).catch(() => undefined);
    });
    const srv = await startTestServer({ DATABASE_PATH: join(dir, 'chat.db') });
    onTestFinished(() => srv[Symbol.asyncDispose]());
    const alice = await srv.user('alice');
    const bob = await srv.user('bob');
    await alice.join('general');
    await bob.join('general');
    const early = (await sendAll(alice, 'general', ['a1', 'a2', 'a3'])).filter(isAck);
    expect(early).toHaveLength(3);
    const pin = await pinWal(srv, alice, early);
    onTestFinished(() => pin.release());

    const filler = join(dir, 'filler');
    const filled = await fillDisk(filler);
    // A commit may still fit in the slack of the WAL's last page; the next ones do not.
    const acked: string[] = early.map((a) => a.id);
    const refused: string[] = [];
    for (let i = 0; i < 50 && refused.length < 5; i++) {
      const id = `d${i}`;
      const [answer] = await sendAll(alice, 'general', [id]);
      if (answer!.type === 'ack') acked.push(id);
      else {
        expect(answer).toMatchObject({ type: 'error', code: ERROR_CODES.INTERNAL, id });
        refused.push(id);
      }
    }
    console.log(
      `full disk: filled ${(filled / 1024 / 1024).toFixed(1)} MiB; acked ${acked.length}, refused ${refused.length}`,
    );
    expect(refused).toHaveLength(5);
    await alice.expectNoFrame('ack', 100);
    expect(await readyz(srv)).toBe(503);

    // The WAL never started over: every write really had to find new space.
    expect(await pin.walGeneration()).toBe(pin.generation);

    await rm(filler);
    pin.release();
    await waitFor(async () => ((await readyz(srv)) === 200 ? true : undefined), 5000, 'readyz 200');
    const resent = await sendAll(alice, 'general', refused);
    expect(resent.every((f) => f.type === 'ack')).toBe(true);
    acked.push(...refused);
    const messages = await bob.collect(acked.length, isMessage, 5000);
    expect(messages.map((m) => m.seq)).toEqual(acked.map((_, i) => i + 1));
    const stored = await readAll(srv, 'general');
    expect(stored.map((m) => m.id)).toEqual(acked);
    expect(alice.received.filter(isError).every((e) => e.code === ERROR_CODES.INTERNAL)).toBe(true);
    await srv.stop();
  });
});
