/**
 * SqliteStore on a real file: writes go through its writer thread, reads stay
 * on the caller's connection. What the chat relies on: a resolved write is
 * seen by the next read, appends of one turn share a commit with gapless seqs,
 * a resend gets the first ack, and close() keeps what was pending.
 */
import { copyFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

import Database from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';

import { ERROR_CODES } from '@tether/protocol';

import { hashToken } from '../../src/chat/tokens.js';
import { SCHEMA_VERSION } from '../../src/sqlite/schema.js';
import { SqliteStore } from '../../src/sqlite/store.js';
import type { NewMessage, RoomEvent } from '../../src/chat/ports.js';
import { makeTempDir, startTestServer } from '../helpers/server.js';

async function tempStore(): Promise<{ file: string; store: SqliteStore }> {
  const dir = await makeTempDir();
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'chat.db');
  const store = new SqliteStore(file);
  onTestFinished(() => store.close());
  return { file, store };
}

const message = (id: string, room = 'general', from = { id: 'u_a', name: 'alice' }): NewMessage => ({
  room,
  id,
  from,
  text: `text of ${id}`,
  ts: 1_700_000_000_000,
});

describe('SqliteStore (a file: writer thread)', () => {
  it('commits writes that arrive together as one transaction, each answered on its own', async () => {
    const { file, store } = await tempStore();
    const user = (name: string, tokenHash: string) => ({
      now: 1,
      name,
      nameKey: name.toLowerCase(),
      tokenHash,
      expiresAt: Number.MAX_SAFE_INTEGER,
    });
    // A connect storm's hellos: posted in one turn, they share a commit.
    const results = await Promise.allSettled([
      ...Array.from({ length: 50 }, (_, i) => store.createUser(user(`user${i}`, `hash-${i}`))),
      store.createUser(user('User0', 'hash-x')), // the name is taken by the first: null
      store.createUser(user('other', 'hash-1')), // a token hash already used: SQLite refuses it
      store.append(message('m1')),
    ]);
    expect(results.slice(0, 50).every((r) => r.status === 'fulfilled' && r.value !== null)).toBe(true);
    expect(results[50]).toEqual({ status: 'fulfilled', value: null });
    expect(results[51]?.status).toBe('rejected');
    expect(results[52]).toMatchObject({ status: 'fulfilled', value: { kind: 'stored' } });
    // The failed write was undone alone: the others are on disk.
    await store.close();
    const db = new Database(file, { readonly: true });
    onTestFinished(() => {
      db.close();
    });
    expect(db.prepare('SELECT count(*) AS n FROM users').get()).toEqual({ n: 50 });
    expect(db.prepare('SELECT count(*) AS n FROM messages').get()).toEqual({ n: 1 });
  });

  it('sees each write it resolved in the next read', async () => {
    const { store } = await tempStore();
    const user = await store.createUser({
      now: 1,
      name: 'alice',
      nameKey: 'alice',
      tokenHash: 'hash-a',
      expiresAt: Number.MAX_SAFE_INTEGER,
    });
    expect(user).not.toBeNull();
    expect(await store.resumeSession('hash-a', 2, Number.MAX_SAFE_INTEGER)).toEqual(user);
    expect(
      await store.createUser({ now: 1, name: 'Alice', nameKey: 'alice', tokenHash: 'hash-b', expiresAt: 10 }),
    ).toBeNull();
    expect(await store.renameUser(user!.id, 'Alicia', 'alicia', 3)).toBe(true);
    expect(await store.resumeSession('hash-a', 4, Number.MAX_SAFE_INTEGER)).toEqual({
      id: user!.id,
      name: 'Alicia',
    });

    const room = await store.openRoom('general', 5);
    expect(room.seq).toBe(0);
    expect(await store.openRoom('general', 6)).toEqual(room);
    expect(await store.findRoom('general')).toEqual(room);
    expect(await store.findRoom('random')).toBeNull();
    expect(await store.listRooms({ prefix: '', after: undefined, limit: 10, activeSince: 0 })).toEqual({
      rooms: [room],
      hasMore: false,
    });
  });

  it('commits the appends of one turn together, with gapless seqs per room and the first ack for a resend', async () => {
    const { store } = await tempStore();
    const bob = { id: 'u_b', name: 'bob' };
    const outcomes = await Promise.all([
      store.append(message('a1')),
      store.append(message('b1', 'general', bob)),
      store.append(message('a1')), // a resend in the same group
      store.append(message('x1', 'other')),
      store.append(message('a2')),
    ]);
    expect(outcomes.map((o) => (o.kind === 'stored' ? [o.message.room, o.message.seq] : o.kind))).toEqual([
      ['general', 1],
      ['general', 2],
      'duplicate',
      ['other', 1],
      ['general', 3],
    ]);
    expect(outcomes[2]).toEqual({
      kind: 'duplicate',
      ack: { room: 'general', id: 'a1', seq: 1, ts: 1_700_000_000_000 },
    });
    // A resend in a later group, and a new message after it: no seq is used up.
    const later = await Promise.all([
      store.append(message('b1', 'general', bob)),
      store.append(message('a3')),
    ]);
    expect(later[0]).toMatchObject({ kind: 'duplicate', ack: { seq: 2 } });
    expect(later[1]).toMatchObject({ kind: 'stored', message: { seq: 4 } });
    expect(await store.findAck('u_a', 'a2')).toMatchObject({ seq: 3 });
    const page = await store.latest('general', 10);
    expect(page.messages.map((m) => [m.seq, m.id])).toEqual([
      [1, 'a1'],
      [2, 'b1'],
      [3, 'a2'],
      [4, 'a3'],
    ]);
    expect((await store.findRoom('general'))?.seq).toBe(4);
  });

  it('keeps appends that were pending at close', async () => {
    const { file, store } = await tempStore();
    const pending = [store.append(message('p1')), store.append(message('p2'))];
    await store.close();
    expect((await Promise.all(pending)).map((o) => o.kind)).toEqual(['stored', 'stored']);
    await expect(store.append(message('p3'))).rejects.toThrow('closed');

    const db = new Database(file, { readonly: true });
    onTestFinished(() => {
      db.close();
    });
    expect(db.prepare('SELECT client_id FROM messages ORDER BY seq').pluck().all()).toEqual(['p1', 'p2']);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
  });

  it('copies the WAL into the database file while the writer goes on (checkpointer thread)', async () => {
    const { file, store } = await tempStore();
    for (let round = 0; round < 20; round++) {
      await Promise.all(Array.from({ length: 50 }, (_, i) => store.append(message(`m${round}-${i}`))));
    }
    // The database file alone, without its WAL: what was checkpointed. The
    // writer would checkpoint by itself only at 40 MiB of WAL.
    const copy = `${file}.copy`;
    let inMainFile = 0;
    for (const deadline = Date.now() + 5000; inMainFile < 1000 && Date.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      await copyFile(file, copy);
      try {
        const db = new Database(copy, { readonly: true });
        inMainFile = db.prepare<[], number>('SELECT count(*) FROM messages').pluck().get() ?? 0;
        db.close();
      } catch {
        // A copy taken mid-checkpoint may be torn: try again.
      }
    }
    expect(inMainFile).toBe(1000);
  });
});

describe('SqliteStore sweep', () => {
  it('deletes expired users, the idle empty rooms it is given, and messages past retention, and nothing else', async () => {
    const { store } = await tempStore();
    const user = (name: string, expiresAt: number) =>
      store.createUser({ now: 1, name, nameKey: name, tokenHash: `hash-${name}`, expiresAt });
    await user('gone', 100);
    const connected = await user('connected', 100);
    const kept = await user('kept', 10_000);
    await store.openRoom('idle', 50);
    await store.openRoom('recent', 500);
    await store.openRoom('occupied', 50);
    const at = (id: string, room: string, ts: number): NewMessage => ({ ...message(id, room), ts });
    await Promise.all(
      [at('old', 'logs', 100), at('new', 'logs', 900), at('g-old', 'general', 100)].map((m) =>
        store.append(m),
      ),
    );

    const result = await store.sweep({
      usersExpiredBefore: 200,
      // Connected, its touch not committed yet: never swept.
      liveUsers: [connected!.id],
      // `occupied` has members somewhere: the caller leaves it out.
      emptyRooms: ['idle', 'recent', 'logs'],
      emptyRoomsIdleBefore: 400,
      retention: { default: undefined, rooms: new Map([['logs', 500]]) },
    });
    expect(result).toEqual({ users: 1, rooms: 1, messages: 1 });
    expect(await store.resumeSession('hash-gone', 0, 1)).toBeNull();
    expect(await store.resumeSession('hash-kept', 0, 10_000)).toEqual(kept);
    expect(await store.resumeSession('hash-connected', 0, 10_000)).toEqual(connected);
    expect(await store.findRoom('idle')).toBeNull();
    expect(await store.findRoom('recent')).not.toBeNull();
    expect(await store.findRoom('occupied')).not.toBeNull();
    // A room with messages is never swept as empty, even when named.
    expect(await store.findRoom('logs')).not.toBeNull();
    expect((await store.latest('logs', 10)).messages.map((m) => m.id)).toEqual(['new']);
    // Retention by default reaches every room.
    await store.sweep({
      usersExpiredBefore: 0,
      liveUsers: [],
      emptyRooms: [],
      emptyRoomsIdleBefore: 0,
      retention: { default: 500, rooms: new Map([['logs', -1]]) },
    });
    expect((await store.latest('general', 10)).messages).toEqual([]);
    expect((await store.latest('logs', 10)).messages.map((m) => m.id)).toEqual(['new']);
  });

  it('migrates a database made before schema versions, keeping what it holds', async () => {
    const { file, store } = await tempStore();
    await store.append(message('m1'));
    await store.close();
    // Back to how an older server left it: version 0, no touched_at column.
    const db = new Database(file);
    undoChanges(db);
    db.exec('DROP INDEX users_by_expiry; ALTER TABLE rooms DROP COLUMN touched_at; PRAGMA user_version = 0;');
    db.close();
    const reopened = new SqliteStore(file);
    onTestFinished(() => reopened.close());
    expect((await reopened.latest('general', 10)).messages.map((m) => m.id)).toEqual(['m1']);
    expect(await reopened.findRoom('general')).toMatchObject({ seq: 1 });
    const check = new Database(file, { readonly: true });
    onTestFinished(() => {
      check.close();
    });
    expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
  });

  it('re-keys names with look-alikes folded: the first holder keeps the key, a later look-alike keeps only its name', async () => {
    const { file, store } = await tempStore();
    await store.close();
    // As a server before schema 3 left it: keys were toLowerCase(NFKC(name)).
    const db = new Database(file);
    const insert = db.prepare(
      'INSERT INTO users (id, name, name_key, token_hash, expires_at) VALUES (?, ?, ?, ?, ?)',
    );
    insert.run('u_first', 'alice', 'alice', hashToken('first-token'), 1e15);
    insert.run('u_later', '\u0430lice', '\u0430lice', hashToken('later-token'), 1e15);
    insert.run('u_bob', 'b0b', 'b0b', hashToken('bob-token'), 1e15);
    undoChanges(db);
    db.pragma('user_version = 2');
    db.close();

    await using srv = await startTestServer({ DATABASE_PATH: file });
    // Nobody new gets either look-alike, nor another one.
    for (const name of ['alice', '\u0430lice', '\u0251lice', 'bob']) {
      const client = await srv.connect();
      client.send({ type: 'hello', v: 1, name });
      await client.nextError(ERROR_CODES.NAME_TAKEN);
    }
    // Both holders come back under the names they had.
    expect((await srv.user('alice', 'first-token')).user).toEqual({ id: 'u_first', name: 'alice' });
    expect((await srv.user('\u0430lice', 'later-token')).user).toEqual({ id: 'u_later', name: '\u0430lice' });
    // The later one may move to a free name; the first keeps "alice".
    expect((await srv.user('alicia', 'later-token')).user).toEqual({ id: 'u_later', name: 'alicia' });
    const stranger = await srv.connect();
    stranger.send({ type: 'hello', v: 1, name: 'ALICE' });
    await stranger.nextError(ERROR_CODES.NAME_TAKEN);
  });
});

/** Takes a database back to schema 3, as a server before changing messages (issue 14) left it. */
function undoChanges(db: Database.Database): void {
  db.exec(`
DROP INDEX messages_by_rev;
ALTER TABLE messages DROP COLUMN rev;
ALTER TABLE messages DROP COLUMN edited;
ALTER TABLE messages DROP COLUMN deleted;
ALTER TABLE messages DROP COLUMN reply_to;
DROP TABLE reactions;
DROP TABLE changes;
PRAGMA user_version = 3;`);
}

describe('SqliteStore schema 4 (changing messages)', () => {
  it('migrates a schema 3 database: every message gets rev = seq, and resumes and changes work on it', async () => {
    const { file, store } = await tempStore();
    for (const id of ['m1', 'm2', 'm3']) await store.append(message(id));
    await store.close();
    const db = new Database(file);
    undoChanges(db);
    db.close();

    const reopened = new SqliteStore(file);
    onTestFinished(() => reopened.close());
    const page = await reopened.latest('general', 10);
    expect(page.messages.map((m) => [m.seq, m.rev])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    const alice = { id: 'u_a', name: 'alice' };
    const changed = await reopened.change({
      room: 'general',
      id: 'e1',
      from: alice,
      target: 1,
      op: { kind: 'edit', text: 'new' },
      ts: 9,
    });
    expect(changed).toMatchObject({
      kind: 'changed',
      seq: 4,
      message: { seq: 1, rev: 4, text: 'new', edited: 9 },
    });
    expect((await reopened.after('general', 3, 10)).messages.map((m) => [m.seq, m.rev])).toEqual([[1, 4]]);
    const check = new Database(file, { readonly: true });
    onTestFinished(() => {
      check.close();
    });
    expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(SCHEMA_VERSION).toBe(4);
  });
});

const name = (e: RoomEvent): string =>
  e.kind === 'message'
    ? `m${e.message.seq}`
    : e.kind === 'update'
      ? `u${e.seq}:${e.message.seq}`
      : `gone${e.seq}`;

describe('SqliteStore events', () => {
  it('lists the stream after a seq: messages and updates, each with its message in its current state', async () => {
    const { store } = await tempStore();
    const alice = { id: 'u_a', name: 'alice' };
    for (const id of ['m1', 'm2']) await store.append(message(id));
    const edit = (id: string, target: number, text: string) =>
      store.change({ room: 'general', id, from: alice, target, op: { kind: 'edit', text }, ts: 5 });
    await edit('e1', 1, 'first edit');
    await store.append(message('m3'));
    await edit('e2', 1, 'second edit');
    await store.change({ room: 'general', id: 'd1', from: alice, target: 2, op: { kind: 'delete' }, ts: 6 });
    const events = await store.events('general', 1, 100);
    expect(events.map(name)).toEqual(['m2', 'u3:1', 'm4', 'u5:1', 'u6:2']);
    // Storage holds the current state only: an earlier event shows it too.
    expect(events[1]).toMatchObject({ message: { text: 'second edit', rev: 5 } });
    expect(events[0]).toMatchObject({ message: { deleted: true, text: '', rev: 6 } });
    expect((await store.events('general', 4, 1)).map((e) => e.kind)).toEqual(['update']);
    // A resume after seq 3: new message 4, and 1 and 2 changed since.
    expect((await store.after('general', 3, 10)).messages.map((m) => [m.seq, m.rev])).toEqual([
      [1, 5],
      [2, 6],
      [4, 4],
    ]);
    // The limit keeps the highest seqs.
    expect(await store.after('general', 3, 2)).toMatchObject({
      hasMore: true,
      messages: [{ seq: 2 }, { seq: 4 }],
    });
  });
});

describe('SqliteStore names', () => {
  it('stores a message under the name its sender holds at the commit, not the one the caller knew', async () => {
    const { store } = await tempStore();
    const user = await store.createUser({
      now: 1,
      name: 'alice',
      nameKey: 'alice',
      tokenHash: 'h',
      expiresAt: 1e15,
    });
    expect(await store.renameUser(user!.id, 'alicia', 'alicia', 2)).toBe(true);
    // The connection that sends still knows her as alice.
    const outcome = await store.append({ ...message('m1'), from: { id: user!.id, name: 'alice' } });
    expect(outcome).toMatchObject({ kind: 'stored', message: { from: { id: user!.id, name: 'alicia' } } });
    expect((await store.latest('general', 1)).messages[0]?.from).toEqual({ id: user!.id, name: 'alicia' });
  });
});
