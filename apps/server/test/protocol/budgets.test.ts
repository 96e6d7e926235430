/**
 * docs/protocol.md › Budgets: every request spends from a budget; beyond it
 * the answer is `rate_limited` (with the request's id and room), nothing
 * happens, and the refusals count toward the abuse close. Meanwhile everyone
 * else is served as fast as before.
 */
import { CLOSE_CODES, ERROR_CODES, LIMITS } from '@tether/protocol';
import { describe, expect, it } from 'vitest';

import { TestClient } from '../helpers/client.js';
import { manualClock } from '../helpers/clock.js';
import { startOneProcess } from '../helpers/server.js';

/** Round trips of `client`'s pings, in ms, `count` of them one after another. */
async function pingTimes(client: TestClient, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await client.roundTrip();
    times.push(performance.now() - started);
  }
  return times;
}

const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.ceil(values.length * p) - 1] ?? 0;
const p99 = (values: number[]) => percentile(values, 0.99);

describe('joins and leaves', () => {
  it('refuses joins beyond JOIN_LIMIT_BURST with rate_limited, the room and when to retry, and joins nothing', async () => {
    const clock = manualClock();
    await using srv = await startOneProcess({ JOIN_LIMIT_PER_SEC: '1', JOIN_LIMIT_BURST: '3' }, { clock });
    const alice = await srv.user('alice');
    await alice.join('a');
    await alice.join('b');
    await alice.join('c');
    alice.send({ type: 'join', room: 'd' });
    const refused = await alice.nextError(ERROR_CODES.RATE_LIMITED);
    expect(refused).toMatchObject({ room: 'd', request: 'join', retryAfterMs: 1000 });
    // Not joined: a send there is not_in_room.
    alice.send({ type: 'send', room: 'd', id: 'm1', text: 'hi' });
    expect(await alice.nextError(ERROR_CODES.NOT_IN_ROOM)).toMatchObject({ room: 'd', id: 'm1' });
    // Leaving costs nothing, even with the budget spent: a client can always leave.
    alice.send({ type: 'leave', room: 'b' });
    expect(await alice.next('left')).toMatchObject({ room: 'b' });
    clock.advance(400);
    alice.send({ type: 'join', room: 'd' });
    expect(await alice.nextError(ERROR_CODES.RATE_LIMITED)).toMatchObject({ retryAfterMs: 600 });
    clock.advance(600);
    expect((await alice.join('d')).room).toBe('d');
  });

  it('keeps the budget per user, across connections', async () => {
    const clock = manualClock();
    await using srv = await startOneProcess({ JOIN_LIMIT_BURST: '2' }, { clock });
    const tab1 = await srv.user('alice');
    const tab2 = await srv.user('alice', tab1.token);
    await tab1.join('a');
    await tab2.join('a');
    tab2.send({ type: 'join', room: 'b' });
    expect(await tab2.nextError(ERROR_CODES.RATE_LIMITED)).toMatchObject({ room: 'b' });
    // Another user has a budget of their own.
    const bob = await srv.user('bob');
    expect((await bob.join('b')).room).toBe('b');
  });

  it('refuses a join/leave flood while a calm client keeps a ping p99 under 50 ms, and closes the flooder with 1008', async () => {
    await using srv = await startOneProcess({ JOIN_LIMIT_PER_SEC: '2', JOIN_LIMIT_BURST: '40' });
    const calm = await srv.user('calm');
    await calm.join('general');
    const flooder = await srv.user('flooder');
    // 11,620 pairs in 8 s took a room of 300 down before; 2,000 pairs at once now.
    for (let i = 0; i < 2000; i++) {
      flooder.send({ type: 'join', room: 'general' });
      flooder.send({ type: 'leave', room: 'general' });
    }
    const times = await pingTimes(calm, 100);
    expect(p99(times)).toBeLessThan(50);
    const closed = await flooder.closed(10_000);
    expect(closed.code).toBe(CLOSE_CODES.POLICY_VIOLATION);
    // The calm client saw at most the flooder's first joins, not 2,000 of them.
    const presence = calm.queued().filter((f) => f.type === 'presence');
    expect(presence.length).toBeLessThanOrEqual(2 * 40 + 2);
  });
});

describe('reads', () => {
  it.each([
    ['history', { type: 'history', room: 'general' }, 'general'],
    ['members', { type: 'members', room: 'general' }, 'general'],
    ['rooms', { type: 'rooms' }, undefined],
  ] as const)('refuses %s beyond READ_LIMIT_BURST with rate_limited', async (_, frame, room) => {
    const clock = manualClock();
    await using srv = await startOneProcess({ READ_LIMIT_PER_SEC: '1', READ_LIMIT_BURST: '3' }, { clock });
    const alice = await srv.user('alice');
    await alice.join('general');
    for (let i = 0; i < 3; i++) {
      alice.send(frame);
      await alice.next(frame.type === 'rooms' ? 'rooms' : frame.type);
    }
    alice.send(frame);
    const refused = await alice.nextError(ERROR_CODES.RATE_LIMITED);
    expect(refused.room).toBe(room);
    clock.advance(1000);
    alice.send(frame);
    await alice.next(frame.type === 'rooms' ? 'rooms' : frame.type);
  });

  it('refuses a history flood (two clients, 500 pages each) while a calm client keeps a ping p99 under 50 ms', async () => {
    await using srv = await startOneProcess({
      RATE_LIMIT_PER_SEC: '100000',
      RATE_LIMIT_BURST: '100000',
      READ_LIMIT_BURST: '20',
    });
    const author = await srv.user('author');
    await author.join('general');
    await author.fill('general', 200);
    const calm = await srv.user('calm');
    await calm.join('general');
    const pullers = [await srv.user('p1'), await srv.user('p2')];
    for (const puller of pullers) {
      await puller.join('general');
      for (let i = 0; i < 500; i++) puller.send({ type: 'history', room: 'general', limit: 100 });
    }
    const times = await pingTimes(calm, 100);
    expect(p99(times)).toBeLessThan(50);
    for (const puller of pullers) {
      expect((await puller.closed(10_000)).code).toBe(CLOSE_CODES.POLICY_VIOLATION);
      const pages = puller.queued().filter((f) => f.type === 'history');
      expect(pages.length).toBeLessThanOrEqual(21);
    }
  });
});

describe('new users per client address', () => {
  it('refuses a hello that would create a user beyond NEW_USERS_PER_HOUR, loopback included; a known user still gets in', async () => {
    const clock = manualClock();
    await using srv = await startOneProcess({ NEW_USERS_PER_HOUR: '3' }, { clock });
    const known = await srv.user('u0');
    await srv.user('u1');
    await srv.user('u2');
    const fourth = await srv.connect();
    fourth.send({ type: 'hello', v: 1, name: 'u3' });
    const refused = await fourth.nextError(ERROR_CODES.RATE_LIMITED);
    expect(refused.id).toBeUndefined();
    expect(fourth.isOpen()).toBe(true);
    // A taken name creates nothing and costs nothing; a token creates nothing either.
    const back = await srv.user('u0', known.token);
    expect(back.user?.id).toBe(known.user?.id);
    clock.advance(20 * 60_000); // a third of an hour: one more user
    fourth.send({ type: 'hello', v: 1, name: 'u3' });
    expect((await fourth.next('welcome')).user.name).toBe('u3');
  });

  it('keeps the budget per forwarded address behind a trusted proxy, and ignores X-Forwarded-For from anyone else', async () => {
    await using srv = await startOneProcess({ NEW_USERS_PER_HOUR: '1', TRUSTED_PROXIES: '127.0.0.1' });
    const via = (address: string) =>
      TestClient.connect(srv.wsUrl, { headers: { 'X-Forwarded-For': `203.0.113.9, ${address}` } });
    const a = await via('198.51.100.1');
    await a.hello('from-a');
    const b = await via('198.51.100.2');
    await b.hello('from-b');
    const a2 = await via('198.51.100.1');
    a2.send({ type: 'hello', v: 1, name: 'from-a-again' });
    await a2.nextError(ERROR_CODES.RATE_LIMITED);
  });

  it('does not believe X-Forwarded-For without TRUSTED_PROXIES', async () => {
    await using srv = await startOneProcess({ NEW_USERS_PER_HOUR: '1' });
    const first = await TestClient.connect(srv.wsUrl, { headers: { 'X-Forwarded-For': '198.51.100.1' } });
    await first.hello('one');
    const second = await TestClient.connect(srv.wsUrl, { headers: { 'X-Forwarded-For': '198.51.100.2' } });
    second.send({ type: 'hello', v: 1, name: 'two' });
    await second.nextError(ERROR_CODES.RATE_LIMITED);
  });

  // p95, not p99: the flood's 120 handshakes run in this test's process too,
  // and on a loaded machine one of them can hold a single ping up.
  it('refuses a flood of new users from one address while a calm client keeps a ping p95 under 50 ms', async () => {
    await using srv = await startOneProcess({ NEW_USERS_PER_HOUR: '60' });
    const calm = await srv.user('calm');
    const script = await srv.connect();
    let welcomed = 0;
    for (let i = 0; i < 200; i++) script.send({ type: 'hello', v: 1, name: `bot${i}` });
    // The first welcome ends the hellos of this connection (a second hello is bad_request).
    for (let i = 0; i < 200 && script.isOpen(); i++) {
      const answer = await script.next(['welcome', 'error'], 2000).catch(() => undefined);
      if (answer?.type === 'welcome') welcomed++;
    }
    expect(welcomed).toBe(1);
    // Many connections, one hello each (7.5 s made 20,000 users before): at most 60 users in all.
    const flood = Promise.all(
      Array.from({ length: 120 }, async (_, i) => {
        const client = await srv.connect();
        client.send({ type: 'hello', v: 1, name: `many${i}` });
        return (await client.next(['welcome', 'error'])).type;
      }),
    );
    const [results, times] = await Promise.all([flood, pingTimes(calm, 100)]);
    expect(results.filter((t) => t === 'welcome').length).toBe(58);
    expect(percentile(times, 0.95)).toBeLessThan(50);
  });
});

describe('new rooms', () => {
  it('refuses a join that would create a room beyond NEW_ROOMS_PER_HOUR; existing rooms can still be joined', async () => {
    const clock = manualClock();
    await using srv = await startOneProcess({ NEW_ROOMS_PER_HOUR: '2' }, { clock });
    const alice = await srv.user('alice');
    await alice.join('a');
    await alice.join('b');
    alice.send({ type: 'join', room: 'c' });
    expect(await alice.nextError(ERROR_CODES.RATE_LIMITED)).toMatchObject({ room: 'c' });
    const bob = await srv.user('bob');
    expect((await bob.join('a')).room).toBe('a');
    alice.send({ type: 'rooms' });
    expect((await alice.next('rooms')).rooms.map((r) => r.name)).toEqual(['a', 'b']);
  });

  it('keeps the room budget per address too: a second user from the same address does not get a new budget', async () => {
    await using srv = await startOneProcess({ NEW_ROOMS_PER_HOUR: '2' });
    const alice = await srv.user('alice');
    await alice.join('a');
    await alice.join('b');
    const mallory = await srv.user('mallory');
    mallory.send({ type: 'join', room: 'c' });
    expect(await mallory.nextError(ERROR_CODES.RATE_LIMITED)).toMatchObject({ room: 'c' });
  });
});

describe('frames', () => {
  it('refuses frames beyond FRAME_LIMIT_BURST with rate_limited echoing id and room, then closes with 1008', async () => {
    await using srv = await startOneProcess({ FRAME_LIMIT_PER_SEC: '1', FRAME_LIMIT_BURST: '10' });
    const alice = await srv.user('alice'); // the hello is frame 1
    for (let i = 0; i < 9; i++) alice.send({ type: 'ping', t: i });
    for (let i = 0; i < 9; i++) await alice.next('pong');
    alice.send({ type: 'send', room: 'general', id: 'm1', text: 'hi' });
    expect(await alice.nextError(ERROR_CODES.RATE_LIMITED)).toMatchObject({ room: 'general', id: 'm1' });
    for (let i = 0; i < LIMITS.MAX_RATE_LIMITED_PER_WINDOW + 5; i++) alice.send({ type: 'ping', t: i });
    expect((await alice.closed()).code).toBe(CLOSE_CODES.POLICY_VIOLATION);
  });
});
