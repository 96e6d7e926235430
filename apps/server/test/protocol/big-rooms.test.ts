/**
 * docs/protocol.md › Big rooms, members: past SMALL_ROOM_MAX_MEMBERS a room's
 * `joined` carries the first page of members and the count, joins and leaves
 * reach members as a `roster` count at most once a second, and the list is
 * paged (and searched) with `members`. A room of up to 500 behaves as rooms
 * always have.
 */
import { ERROR_CODES, LIMITS, foldName, type ServerMessage, type User } from '@tether/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { TestClient } from '../helpers/client.js';
import { startOneProcess, type TestServer } from '../helpers/server.js';

const BIG = 600;
const name = (i: number) => `user-${String(i).padStart(3, '0')}`;

let srv: TestServer;
let clients: TestClient[];

/** Runs `work` for each client, `batch` at a time. */
async function inBatches<T>(
  items: readonly T[],
  work: (item: T, i: number) => Promise<unknown>,
  batch = 50,
): Promise<void> {
  for (let at = 0; at < items.length; at += batch) {
    await Promise.all(items.slice(at, at + batch).map((item, i) => work(item, at + i)));
  }
}

/** Joins clients [from, to) to `room`, one after another (so the member count grows by one each time). */
async function joinAll(room: string, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) await clients[i]?.join(room);
}

/** Every member of `room` through `members` pages, as `client` sees them. */
async function allMembers(
  client: TestClient,
  room: string,
  prefix?: string,
): Promise<{ users: User[]; pages: number; count: number }> {
  const users: User[] = [];
  let after: string | undefined;
  let count = 0;
  for (let pages = 1; pages <= 100; pages++) {
    client.send({
      type: 'members',
      room,
      ...(prefix === undefined ? {} : { prefix }),
      ...(after === undefined ? {} : { after }),
    });
    const page = await client.next('members');
    expect(page.room).toBe(room);
    // The answer says which page it is.
    expect([page.prefix, page.after]).toEqual([prefix, after]);
    expect(page.members.length).toBeLessThanOrEqual(LIMITS.MEMBERS_PAGE_LIMIT);
    users.push(...page.members);
    count = page.count;
    if (!page.hasMore) return { users, pages, count };
    expect(page.next).toEqual(expect.any(String));
    after = page.next;
  }
  throw new Error('more than 100 pages');
}

const drop = (client: TestClient) => {
  client.discard('presence');
  client.discard('roster');
};

beforeAll(async () => {
  srv = await startOneProcess({ PRESENCE_GRACE_MS: '0' });
  clients = [];
  await inBatches(
    Array.from({ length: BIG }, (_, i) => i),
    async (i) => {
      clients[i] = await srv.user(name(i));
    },
  );
}, 120_000);

afterAll(async () => {
  await srv[Symbol.asyncDispose]();
});

describe('a room of up to 500 members', () => {
  it('is small: joined lists every member, each join is announced as presence', async () => {
    await joinAll('small', 0, LIMITS.SMALL_ROOM_MAX_MEMBERS - 1);
    const observer = clients[0] as TestClient;
    const last = clients[LIMITS.SMALL_ROOM_MAX_MEMBERS - 1] as TestClient;
    const joined = await last.join('small');
    expect(joined.members).toHaveLength(LIMITS.SMALL_ROOM_MAX_MEMBERS);
    expect(joined.memberCount).toBe(LIMITS.SMALL_ROOM_MAX_MEMBERS);
    const seen = await observer.nextWhere<ServerMessage & { type: 'presence' }>(
      (f) =>
        f.type === 'presence' &&
        f.room === 'small' &&
        f.user.name === name(LIMITS.SMALL_ROOM_MAX_MEMBERS - 1),
    );
    expect(seen.state).toBe('joined');
    await observer.expectNoFrame('roster', 1200);
  }, 60_000);
});

describe(`a room of ${BIG} members`, () => {
  beforeAll(async () => {
    await joinAll('big', 0, BIG);
  }, 60_000);

  it(`gives a joiner the first ${LIMITS.JOINED_MEMBERS_BIG_ROOM} members by name and the count`, async () => {
    const joined = await (clients[BIG - 1] as TestClient).join('big');
    expect(joined.memberCount).toBe(BIG);
    expect(joined.members.map((u) => u.name)).toEqual(
      Array.from({ length: LIMITS.JOINED_MEMBERS_BIG_ROOM }, (_, i) => name(i)),
    );
    // The list goes on from there with `members`, without asking for the first page again.
    const joiner = clients[BIG - 1] as TestClient;
    joiner.send({ type: 'members', room: 'big', after: joined.membersNext, limit: 5 });
    const next = await joiner.next('members');
    const first = LIMITS.JOINED_MEMBERS_BIG_ROOM;
    expect(next.members.map((u) => u.name)).toEqual(Array.from({ length: 5 }, (_, i) => name(first + i)));
  });

  it('tells members of joins past 500 with roster counts, at most one a second, and no presence', async () => {
    const observer = clients[0] as TestClient;
    // The last count goes out within a second of the last join.
    const final = await observer.nextWhere<ServerMessage & { type: 'roster' }>(
      (f) => f.type === 'roster' && f.room === 'big' && f.count === BIG,
      3000,
    );
    const frames = observer
      .queued()
      .filter((f) => (f.type === 'presence' || f.type === 'roster') && f.room === 'big');
    const presence = frames.filter((f) => f.type === 'presence');
    // Presence only while the room was small: the joins of users 1 … 499
    // (the 501st member made it big).
    expect(presence.length).toBe(LIMITS.SMALL_ROOM_MAX_MEMBERS - 1);
    const counts = [...frames.flatMap((f) => (f.type === 'roster' ? [f.count] : [])), final.count];
    // 100 joins past 500, but a handful of counts: one a second at most.
    expect(counts.length).toBeLessThan(20);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(frames.every((f) => f.type !== 'roster' || f.members === undefined)).toBe(true);
    drop(observer);
    // A member who leaves changes the count: a roster says so within a second.
    await (clients[1] as TestClient).close();
    const next = await observer.next('roster', 3000);
    expect(next.count).toBe(BIG - 1);
    clients[1] = await srv.user(name(1), (clients[1] as TestClient).token);
    await clients[1].join('big');
  });

  it('pages every member in name order with members, and finds them by prefix', async () => {
    const reader = clients[7] as TestClient;
    drop(reader);
    const { users, pages, count } = await allMembers(reader, 'big');
    expect(count).toBe(BIG);
    expect(pages).toBe(Math.ceil(BIG / LIMITS.MEMBERS_PAGE_LIMIT));
    expect(users.map((u) => u.name)).toEqual(Array.from({ length: BIG }, (_, i) => name(i)));

    const found = await allMembers(reader, 'big', 'USER-01');
    expect(found.users.map((u) => u.name)).toEqual(Array.from({ length: 10 }, (_, i) => name(10 + i)));
    expect(found.count).toBe(BIG);
    const none = await allMembers(reader, 'big', 'zed');
    expect(none.users).toEqual([]);
    // Names compare folded for case and width.
    expect(foldName('ＵＳＥＲ-599')).toBe('user-599');
    expect((await allMembers(reader, 'big', 'ＵＳＥＲ-599')).users.map((u) => u.name)).toEqual([name(599)]);
  });

  it('answers members for a room the connection is not in with not_in_room, and learns nothing', async () => {
    const outsider = await srv.user('outsider');
    outsider.send({ type: 'members', room: 'big' });
    expect(await outsider.nextError(ERROR_CODES.NOT_IN_ROOM)).toMatchObject({ room: 'big' });
    outsider.send({ type: 'members', room: 'Big Room' });
    expect(await outsider.nextError(ERROR_CODES.INVALID_ROOM)).toMatchObject({ room: 'Big Room' });
    await outsider.expectNoFrame('members', 200);
  });

  it(`relays at most ${LIMITS.BIG_ROOM_TYPING_PER_SEC} typing signals a second`, async () => {
    const observer = clients[0] as TestClient;
    observer.discard('typing');
    for (let i = 100; i < 150; i++) (clients[i] as TestClient).send({ type: 'typing', room: 'big' });
    await (clients[149] as TestClient).roundTrip();
    await observer.roundTrip();
    const typing = observer.queued().filter((f) => f.type === 'typing' && f.room === 'big');
    expect(typing.length).toBeGreaterThan(0);
    // The 50 signals arrived within a second or two: at most two seconds' worth went out.
    expect(typing.length).toBeLessThanOrEqual(2 * LIMITS.BIG_ROOM_TYPING_PER_SEC);
  });

  it('is small again at 400: every connection gets the complete list, then presence', async () => {
    const observer = clients[0] as TestClient;
    drop(observer);
    const leaving = clients.slice(BIG - (BIG - LIMITS.SMALL_AGAIN_MEMBERS), BIG);
    for (const client of leaving) {
      client.send({ type: 'leave', room: 'big' });
      await client.next('left');
    }
    const roster = await observer.nextWhere<ServerMessage & { type: 'roster' }>(
      (f) => f.type === 'roster' && f.room === 'big' && f.members !== undefined,
      5000,
    );
    expect(roster.count).toBe(LIMITS.SMALL_AGAIN_MEMBERS);
    expect(roster.members?.map((u) => u.name).sort()).toEqual(
      Array.from({ length: LIMITS.SMALL_AGAIN_MEMBERS }, (_, i) => name(i)),
    );
    const last = clients[LIMITS.SMALL_AGAIN_MEMBERS - 1] as TestClient;
    last.send({ type: 'leave', room: 'big' });
    const left = await observer.nextWhere<ServerMessage & { type: 'presence' }>(
      (f) => f.type === 'presence' && f.room === 'big',
    );
    expect(left).toMatchObject({ state: 'left', user: { name: name(LIMITS.SMALL_AGAIN_MEMBERS - 1) } });
  }, 60_000);
});
