/**
 * Several server processes on one PostgreSQL and one Redis: clients must not
 * be able to tell. A real PostgreSQL cluster and a real redis-server per
 * file, real servers, real ws clients; what must die dies for real: a node
 * is a child process that gets SIGKILL, PostgreSQL's postmaster gets
 * SIGKILL, redis-server gets SIGKILL.
 */
import { randomBytes } from 'node:crypto';

import type { Message } from '@tether/protocol';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { spawnServer, type ChildServer } from '../helpers/child.js';
import { HOLD_WINDOW_MS, TestClient, isAck, isMessage, newId } from '../helpers/client.js';
import { freshSchema, startCluster, type PostgresCluster } from '../helpers/postgres.js';
import { startRedisServer, type RedisServer } from '../helpers/redis.js';
import { startTestServer, type TestServer, OPEN_BUDGETS } from '../helpers/server.js';

let cluster: PostgresCluster;
let redis: RedisServer;

beforeAll(async () => {
  // Redis keeps nothing that must survive (the bus and presence): no fsync.
  [cluster, redis] = await Promise.all([startCluster(), startRedisServer({ appendfsync: 'everysec' })]);
}, 60_000);
afterAll(async () => {
  await Promise.all([cluster.stop(), redis.dispose()]);
});

/** Env shared by the nodes of one test: a schema of its own, the same Redis and key prefix. */
async function clusterEnv(extra: Record<string, string> = {}): Promise<Record<string, string>> {
  return {
    DATABASE_URL: await freshSchema(cluster.url),
    REDIS_URL: redis.url,
    REDIS_PREFIX: `c${randomBytes(5).toString('hex')}:`,
    RATE_LIMIT_PER_SEC: '10000',
    RATE_LIMIT_BURST: '10000',
    ...OPEN_BUDGETS,
    ...extra,
  };
}

/** `count` server processes in this process, one each (the helper's default on SQLite). */
async function nodes(count: number, env: Record<string, string>): Promise<TestServer[]> {
  return Promise.all(Array.from({ length: count }, () => startTestServer(env, {}, { nodes: 1 })));
}

/** Reads a room's whole history through one connection. */
async function readAll(node: TestServer, room: string): Promise<Message[]> {
  const reader = await node.user(newId('reader'));
  const joined = await reader.join(room);
  const messages = [...joined.messages];
  let hasMore = joined.hasMore;
  while (hasMore) {
    reader.send({ type: 'history', room, before: messages[0]!.seq, limit: 100 });
    const page = await reader.next('history', 5000);
    messages.unshift(...page.messages);
    hasMore = page.hasMore;
  }
  reader.terminate();
  return messages;
}

/** Sends `count` messages without waiting (unlike `fill`, which drops echoes the test wants). */
function sendMany(client: TestClient, room: string, count: number): void {
  const prefix = newId('m');
  for (let i = 0; i < count; i++)
    client.send({ type: 'send', room, id: `${prefix}_${i}`, text: `message ${i}` });
}

function expectContiguous(seqs: number[], from = 1): void {
  expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => from + i));
}

/** Polls `/readyz` until it answers `status`, at most `timeoutMs`. */
async function waitReady(node: TestServer, status: 200 | 503, timeoutMs = 10_000): Promise<number> {
  const started = Date.now();
  for (;;) {
    const res = await fetch(`${node.url}/readyz`);
    await res.body?.cancel();
    if (res.status === status) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`/readyz not ${status} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('postgres + redis: several processes serve one chat', () => {
  it('delivers across two nodes in one seq order without gaps', async () => {
    const [a, b] = await nodes(2, await clusterEnv());
    const alice = await a!.user('alice');
    const bob = await b!.user('bob');
    await alice.join('general');
    await bob.join('general');
    const count = 60;
    sendMany(alice, 'general', count);
    sendMany(bob, 'general', count);
    const [aliceSees, bobSees] = await Promise.all([
      alice.collect(2 * count, isMessage, 5000, 'message'),
      bob.collect(2 * count, isMessage, 5000, 'message'),
    ]);
    expectContiguous(aliceSees.map((m) => m.seq));
    expect(bobSees.map((m) => m.seq)).toEqual(aliceSees.map((m) => m.seq));
    expect(bobSees.map((m) => m.id)).toEqual(aliceSees.map((m) => m.id));
  });

  it('delivers across three nodes in one seq order, acks first on the sender', async () => {
    const cluster = await nodes(3, await clusterEnv());
    const clients = await Promise.all(cluster.map((node, i) => node.user(`user${i}`)));
    for (const client of clients) await client.join('three');
    const per = 30;
    // Every frame in arrival order, to check that each sender's ack precedes its own message.
    const order = clients.map((client) => {
      const frames: string[] = [];
      client.ws.on('message', (data: Buffer) => {
        const frame = JSON.parse(data.toString()) as { type: string; id?: string };
        if (frame.id) frames.push(`${frame.type} ${frame.id}`);
      });
      return frames;
    });
    for (const client of clients) sendMany(client, 'three', per);
    const seen = await Promise.all(
      clients.map((client) => client.collect(3 * per, isMessage, 5000, 'message')),
    );
    clients.forEach((client, i) => {
      const own = seen[i]!.filter((m) => m.from.id === client.user?.id);
      expect(own).toHaveLength(per);
      for (const message of own) {
        expect(order[i]!.indexOf(`ack ${message.id}`)).toBeGreaterThanOrEqual(0);
        expect(order[i]!.indexOf(`ack ${message.id}`)).toBeLessThan(
          order[i]!.indexOf(`message ${message.id}`),
        );
      }
    });
    for (const frames of seen) {
      expectContiguous(frames.map((m) => m.seq));
      expect(frames.map((m) => m.id)).toEqual(seen[0]!.map((m) => m.id));
    }
  });

  it('accepts a token from node A on node B: same user, same token', async () => {
    const [a, b] = await nodes(2, await clusterEnv());
    const first = await a!.user('carol');
    const again = await b!.user('carol', first.token);
    expect(again.user).toEqual(first.user);
    expect(again.token).toBe(first.token);
    const thief = await b!.connect();
    thief.send({ type: 'hello', v: 1, name: 'CAROL' });
    await thief.nextError('name_taken');
  });

  it('answers a resend on another node with the first ack', async () => {
    const [a, b] = await nodes(2, await clusterEnv());
    const alice = await a!.user('alice');
    await alice.join('general');
    const ack = await alice.say('general', 'once', 'c_once');
    const elsewhere = await b!.user('alice', alice.token);
    await elsewhere.join('general');
    elsewhere.send({ type: 'send', room: 'general', id: 'c_once', text: 'once' });
    expect(await elsewhere.next('ack')).toEqual(ack);
    await elsewhere.expectNoFrame('message', 300);
  });

  it('shows presence across nodes: joined, members, left', async () => {
    const [a, b] = await nodes(2, await clusterEnv());
    const alice = await a!.user('alice');
    await alice.join('lobby');
    const bob = await b!.user('bob');
    const joined = await bob.join('lobby');
    expect(joined.members.map((u) => u.name).sort()).toEqual(['alice', 'bob']);
    const seen = await alice.next('presence', 3000);
    expect(seen).toMatchObject({ room: 'lobby', user: { name: 'bob' }, state: 'joined' });
    bob.send({ type: 'leave', room: 'lobby' });
    expect(await alice.next('presence', 3000)).toMatchObject({ user: { name: 'bob' }, state: 'left' });
  });

  it('carries a rename to every node: the user’s connections, co-members, later joiners', async () => {
    const [a, b] = await nodes(2, await clusterEnv());
    const alice = await a!.user('alice');
    const bob = await a!.user('bob');
    const carol = await b!.user('carol');
    for (const client of [alice, bob, carol]) await client.join('lobby');
    // The rename happens on node B; alice's connection and bob are on node A.
    const renaming = await b!.connect();
    await renaming.hello('alicia', alice.token);
    const renamed = { id: alice.user!.id, name: 'alicia' };
    expect((await alice.next('renamed', 3000)).user).toEqual(renamed);
    expect((await bob.next('renamed', 3000)).user).toEqual(renamed);
    expect((await carol.next('renamed', 3000)).user).toEqual(renamed);
    await alice.say('lobby', 'from node A');
    const [seen] = await carol.collect(1, isMessage, 3000, 'message');
    expect(seen!.from).toEqual(renamed);
    // Node B reads the members from the directory: the new name is there.
    const dave = await b!.user('dave');
    expect((await dave.join('lobby')).members).toContainEqual(renamed);
  });

  it('relays typing across nodes to everyone but the sender', async () => {
    const [a, b] = await nodes(2, await clusterEnv());
    const alice = await a!.user('alice');
    const bob = await b!.user('bob');
    await alice.join('general');
    await bob.join('general');
    await alice.next('presence', 3000);
    bob.send({ type: 'typing', room: 'general' });
    expect(await alice.next('typing', 3000)).toMatchObject({ room: 'general', user: { name: 'bob' } });
    await bob.expectNoFrame('typing', HOLD_WINDOW_MS);
  });

  it('counts members of every node in `rooms`', async () => {
    const [a, b] = await nodes(2, await clusterEnv());
    const alice = await a!.user('alice');
    const bob = await b!.user('bob');
    await alice.join('counted');
    await bob.join('counted');
    alice.send({ type: 'rooms' });
    const list = await alice.next('rooms');
    expect(list.rooms).toContainEqual({ name: 'counted', members: 2, seq: 0 });
  });

  it('publishes one Redis message per send and runs no other command for it', async () => {
    const [a] = await nodes(1, await clusterEnv());
    const alice = await a!.user('alice');
    await alice.join('general');
    await alice.say('general', 'warm-up');
    // MONITOR shows every command a client sends.
    const probe = new Redis(redis.url);
    const monitor = await probe.monitor();
    const commands = new Map<string, number>();
    monitor.on('monitor', (_time: string, args: string[]) => {
      const name = args[0]?.toLowerCase() ?? '';
      commands.set(name, (commands.get(name) ?? 0) + 1);
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await alice.fill('general', 50);
    await new Promise((resolve) => setTimeout(resolve, 50));
    monitor.disconnect();
    probe.disconnect();
    expect(commands.get('publish')).toBe(50);
    // Presence refreshes run on a timer (a zadd a few times a minute), not per send.
    const others = [...commands].filter(([name]) => name !== 'publish');
    expect(others.reduce((sum, [, n]) => sum + n, 0)).toBeLessThan(5);
  });

  it('converges on one member count for a big room whose members are spread over two processes', async () => {
    // Directory entries live half the grace period and are refreshed on a
    // timer; with 520 clients and two servers in this one process, a loaded
    // machine can hold that timer up past a 7.5 s expiry (518 of 520 seen).
    // This test is about convergence, not expiry: a long grace.
    const [a, b] = await nodes(2, await clusterEnv({ PRESENCE_GRACE_MS: '60000' }));
    const total = 520; // past SMALL_ROOM_MAX_MEMBERS (500): a big room
    const clients: TestClient[] = [];
    for (let at = 0; at < total; at += 40) {
      const batch = Array.from({ length: Math.min(40, total - at) }, (_, i) =>
        (at + i) % 2 === 0 ? a!.user(`m${at + i}`) : b!.user(`m${at + i}`),
      );
      clients.push(...(await Promise.all(batch)));
    }
    for (let at = 0; at < total; at += 40) {
      await Promise.all(clients.slice(at, at + 40).map((client) => client.join('hall')));
    }
    // Each process answers from the directory it shares with the other (a
    // member on each asks): bounded wait for the last joins to be seen.
    for (const asker of [clients[0]!, clients[1]!]) {
      const deadline = Date.now() + 10_000;
      let members = 0;
      while (Date.now() < deadline) {
        asker.send({ type: 'rooms', prefix: 'hall' });
        members = (await asker.next('rooms')).rooms.find((room) => room.name === 'hall')?.members ?? 0;
        if (members === total) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(members).toBe(total);
      // This process's own record follows the directory by a lookup (a big
      // room's gather events for 250 ms): bounded wait for its count too.
      let count = 0;
      for (const until = Date.now() + 10_000; count !== total && Date.now() < until;) {
        asker.send({ type: 'members', room: 'hall', limit: 1 });
        count = (await asker.next('members')).count;
        if (count !== total) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(count).toBe(total);
      const seen = new Set<string>();
      let after: string | undefined;
      for (let page = 0; page < 20; page++) {
        asker.send({ type: 'members', room: 'hall', ...(after ? { after } : {}) });
        const answer = await asker.next('members');
        expect(answer.count).toBe(total);
        for (const user of answer.members) seen.add(user.id);
        if (!answer.hasMore) break;
        after = answer.next;
      }
      expect(seen.size).toBe(total);
    }
    // Someone who is not a member is not shown the list.
    const stranger = await b!.user('stranger');
    stranger.send({ type: 'members', room: 'hall' });
    expect(await stranger.next('error')).toMatchObject({ code: 'not_in_room', room: 'hall' });
    for (const client of clients) client.terminate();
  }, 90_000);
});

describe('postgres + redis: a node dies', () => {
  it('announces the members of a SIGKILLed node as left within the grace period', async () => {
    const env = await clusterEnv({ PRESENCE_GRACE_MS: '1500' });
    const [a] = await nodes(1, env);
    const child = spawnServer({ ...env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' });
    const port = await child.listening();
    const alice = await a!.user('alice');
    await alice.join('room');
    const bob = await TestClient.connect(`ws://127.0.0.1:${port}/ws`);
    await bob.hello('bob');
    await bob.join('room');
    expect(await alice.next('presence', 3000)).toMatchObject({ user: { name: 'bob' }, state: 'joined' });
    const killedAt = Date.now();
    child.kill('SIGKILL');
    const left = await alice.next('presence', 5000);
    expect(left).toMatchObject({ user: { name: 'bob' }, state: 'left' });
    expect(Date.now() - killedAt).toBeLessThan(1500 + 500);
    bob.terminate();
  });

  it('lets the clients of a killed node resume on another with nothing lost', async () => {
    const env = await clusterEnv();
    const [survivor] = await nodes(1, env);
    const child: ChildServer = spawnServer({ ...env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' });
    const port = await child.listening();
    const client = await TestClient.connect(`ws://127.0.0.1:${port}/ws`);
    const welcome = await client.hello('writer');
    await client.join('log');
    const sent: string[] = [];
    const acked = new Set<string>();
    client.ws.on('message', (data: Buffer) => {
      const frame = JSON.parse(data.toString()) as { type: string; id?: string };
      if (frame.type === 'ack' && frame.id) acked.add(frame.id);
    });
    // Send in small batches; kill the node mid-stream once a good part is acked.
    let killed = false;
    for (let i = 0; i < 300 && !killed; i++) {
      const id = `w_${i}`;
      sent.push(id);
      client.send({ type: 'send', room: 'log', id, text: `line ${i}` });
      if (i % 10 === 9) await new Promise((resolve) => setTimeout(resolve, 5));
      if (acked.size >= 100) {
        // A burst in flight when the node dies: some stored, some not, none acked.
        for (let j = 0; j < 60; j++) {
          const burst = `w_b${j}`;
          sent.push(burst);
          client.send({ type: 'send', room: 'log', id: burst, text: `burst ${j}` });
        }
        child.kill('SIGKILL');
        killed = true;
      }
    }
    expect(killed).toBe(true);
    await child.exited(5000);
    client.terminate();
    // Resume on the survivor: same token, resend everything not acked.
    const again = await survivor!.user('writer', welcome.token);
    await again.join('log');
    const unacked = sent.filter((id) => !acked.has(id));
    for (const id of unacked) again.send({ type: 'send', room: 'log', id, text: `resent ${id}` });
    const resent = await again.collect(unacked.length, isAck, 5000, 'ack of a resend');
    expect(new Set(resent.map((ack) => ack.id))).toEqual(new Set(unacked));
    const history = await readAll(survivor!, 'log');
    const ids = history.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of sent) expect(ids).toContain(id);
    expectContiguous(history.map((m) => m.seq));
    console.log(
      `node kill: sent ${sent.length}, acked before kill ${acked.size}, resent ${unacked.length}, stored ${ids.length}, lost ${sent.filter((id) => !ids.includes(id)).length}, duplicated ${ids.length - new Set(ids).size}`,
    );
  });
});

describe('postgres + redis: PostgreSQL itself dies', () => {
  it('refuses sends (internal, never ack) and readiness while PostgreSQL is down, then carries on with nothing acked lost', async () => {
    const [a, b] = await nodes(2, await clusterEnv());
    const writer = await a!.user('writer');
    await writer.join('log');
    const watcher = await b!.user('watcher');
    await watcher.join('log');
    const acked = new Set<string>();
    const refused = new Set<string>();
    writer.ws.on('message', (data: Buffer) => {
      const frame = JSON.parse(data.toString()) as { type: string; id?: string; code?: string };
      if (frame.type === 'ack' && frame.id) acked.add(frame.id);
      if (frame.type === 'error' && frame.id) {
        expect(frame.code).toBe('internal');
        refused.add(frame.id);
      }
    });
    // A steady stream; the postmaster is SIGKILLed in the middle of it.
    const sent: string[] = [];
    for (let i = 0; i < 200; i++) {
      const id = `p_${i}`;
      sent.push(id);
      writer.send({ type: 'send', room: 'log', id, text: `line ${i}` });
      if (i % 10 === 9) await new Promise((resolve) => setTimeout(resolve, 5));
      if (i === 120) cluster.crash();
    }
    // Every send is answered: acked (committed before the kill) or refused.
    const deadline = Date.now() + 10_000;
    while (acked.size + refused.size < sent.length && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(acked.size + refused.size).toBe(sent.length);
    expect(refused.size).toBeGreaterThan(0);
    await waitReady(a!, 503, 5000);
    const ackedBeforeKill = acked.size;

    const restartMs = await cluster.restart();
    // The pools reconnect by themselves: both processes are ready again, bounded.
    const readyAfterMs = Math.max(await waitReady(a!, 200), await waitReady(b!, 200));
    const unacked = sent.filter((id) => !acked.has(id));
    writer.clear();
    for (const id of unacked) writer.send({ type: 'send', room: 'log', id, text: `resent ${id}` });
    const resentAcks = await writer.collect(unacked.length, isAck, 10_000, 'ack of a resend');
    expect(new Set(resentAcks.map((ack) => ack.id))).toEqual(new Set(unacked));

    const history = await readAll(b!, 'log');
    const ids = history.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(new Set(sent));
    expectContiguous(history.map((m) => m.seq));
    // The member on the other process got every message, in order, without a gap.
    const watched = await watcher.collect(sent.length, isMessage, 10_000, 'message');
    expectContiguous(watched.map((m) => m.seq));
    console.log(
      `postgres kill: sent ${sent.length}, acked before the kill ${ackedBeforeKill}, refused ${refused.size}, restart ${restartMs} ms, ready again ${readyAfterMs} ms later, stored ${ids.length}, lost 0, duplicated ${ids.length - new Set(ids).size}`,
    );
  }, 60_000);
});

describe('postgres + redis: Redis itself dies', () => {
  it('keeps acking (PostgreSQL holds the messages) but is not ready, and the other process catches up when Redis is back', async () => {
    const [a, b] = await nodes(2, await clusterEnv());
    const alice = await a!.user('alice');
    await alice.join('general');
    const bob = await b!.user('bob');
    await bob.join('general');
    await alice.next('presence', 3000);
    await alice.fill('general', 10);
    await bob.collect(10, isMessage, 5000, 'message');

    await redis.stop('SIGKILL');
    await waitReady(a!, 503, 5000);
    // Sends do not need Redis: they are stored and acked; only the other process's members wait.
    const during = await alice.fill('general', 20);
    expect(during.map((ack) => ack.seq)).toEqual(Array.from({ length: 20 }, (_, i) => 11 + i));

    await redis.start();
    await Promise.all([waitReady(a!, 200), waitReady(b!, 200)]);
    // The resubscribed process fetches what the bus missed: bob gets 11..30, in order.
    const caughtUp = await bob.collect(20, isMessage, 10_000, 'message');
    expect(caughtUp.map((m) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => 11 + i));
    await alice.fill('general', 5);
    const after = await bob.collect(5, isMessage, 5000, 'message');
    expect(after.map((m) => m.seq)).toEqual([31, 32, 33, 34, 35]);
  }, 60_000);
});
