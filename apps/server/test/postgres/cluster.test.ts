/**
 * Several server processes on one Redis: clients must not be able to tell.
 * A real redis-server per file (appendfsync always), real servers, real ws
 * clients; nodes that must die are child processes and get SIGKILL.
 */
import { randomBytes } from 'node:crypto';

import type { Message } from '@tether/protocol';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { spawnServer, type ChildServer } from '../helpers/child.js';
import { TestClient, isAck, isMessage, newId } from '../helpers/client.js';
import { startRedisServer, type RedisServer } from '../helpers/redis.js';
import { startTestServer, type TestServer, OPEN_BUDGETS } from '../helpers/server.js';

let redis: RedisServer;

beforeAll(async () => {
  redis = await startRedisServer({ appendfsync: 'always' });
});
afterAll(async () => {
  await redis.dispose();
});

/** Env shared by the nodes of one test: the same Redis and key prefix. */
function clusterEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    REDIS_URL: redis.url,
    REDIS_PREFIX: `c${randomBytes(5).toString('hex')}:`,
    RATE_LIMIT_PER_SEC: '10000',
    RATE_LIMIT_BURST: '10000',
    ...OPEN_BUDGETS,
    ...extra,
  };
}

async function nodes(count: number, env: Record<string, string>): Promise<TestServer[]> {
  return Promise.all(Array.from({ length: count }, () => startTestServer(env)));
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

describe('redis: several nodes serve one chat', () => {
  it('delivers across two nodes in one seq order without gaps', async () => {
    const [a, b] = await nodes(2, clusterEnv());
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
    const cluster = await nodes(3, clusterEnv());
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
    const [a, b] = await nodes(2, clusterEnv());
    const first = await a!.user('carol');
    const again = await b!.user('carol', first.token);
    expect(again.user).toEqual(first.user);
    expect(again.token).toBe(first.token);
    const thief = await b!.connect();
    thief.send({ type: 'hello', v: 1, name: 'CAROL' });
    await thief.nextError('name_taken');
  });

  it('answers a resend on another node with the first ack', async () => {
    const [a, b] = await nodes(2, clusterEnv());
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
    const [a, b] = await nodes(2, clusterEnv());
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
    const [a, b] = await nodes(2, clusterEnv());
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
    const [a, b] = await nodes(2, clusterEnv());
    const alice = await a!.user('alice');
    const bob = await b!.user('bob');
    await alice.join('general');
    await bob.join('general');
    await alice.next('presence', 3000);
    bob.send({ type: 'typing', room: 'general' });
    expect(await alice.next('typing', 3000)).toMatchObject({ room: 'general', user: { name: 'bob' } });
    await bob.expectNoFrame('typing', 300);
  });

  it('counts members of every node in `rooms`', async () => {
    const [a, b] = await nodes(2, clusterEnv());
    const alice = await a!.user('alice');
    const bob = await b!.user('bob');
    await alice.join('counted');
    await bob.join('counted');
    alice.send({ type: 'rooms' });
    const list = await alice.next('rooms');
    expect(list.rooms).toContainEqual({ name: 'counted', members: 2, seq: 0 });
  });

  it('costs one Redis command per send', async () => {
    const env = clusterEnv();
    const [a] = await nodes(1, env);
    const alice = await a!.user('alice');
    await alice.join('general');
    await alice.say('general', 'warm-up: loads the script');
    // MONITOR shows every command a client sends; those a script runs come tagged "lua".
    const probe = new Redis(redis.url);
    const monitor = await probe.monitor();
    let sent = 0;
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      // Membership refreshes run on a timer, not per send.
      if (source !== 'lua' && !['zadd', 'zremrangebyscore'].includes(args[0]?.toLowerCase() ?? '')) sent++;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await alice.fill('general', 50);
    await new Promise((resolve) => setTimeout(resolve, 50));
    monitor.disconnect();
    probe.disconnect();
    expect(sent).toBe(50);
  });
});

describe('redis: a node dies', () => {
  it('announces the members of a SIGKILLed node as left within the grace period', async () => {
    const env = clusterEnv({ PRESENCE_GRACE_MS: '1500' });
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
    const env = clusterEnv();
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

describe('redis: redis itself restarts', () => {
  it('refuses sends (internal, never ack) and readiness while redis is down, then carries on with nothing acked lost', async () => {
    const env = clusterEnv();
    const [node] = await nodes(1, env);
    const alice = await node!.user('alice');
    await alice.join('general');
    const acked = new Set((await alice.fill('general', 20)).map((a) => a.id));

    // A crash, not a shutdown: with appendfsync always, every acked write is already on disk.
    await redis.stop('SIGKILL');
    const ready = await fetch(`${node!.url}/readyz`);
    expect(ready.status).toBe(503);
    await ready.body?.cancel();
    alice.send({ type: 'send', room: 'general', id: 'c_while_down', text: 'lost?' });
    const refused = await alice.next(['ack', 'error'], 5000);
    expect(refused).toMatchObject({ type: 'error', code: 'internal', id: 'c_while_down' });

    await redis.start();
    // The server reconnects by itself (capped backoff): wait for readiness, bounded.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const res = await fetch(`${node!.url}/readyz`);
      await res.body?.cancel();
      if (res.status === 200) break;
      if (Date.now() > deadline) throw new Error('not ready within 10 s after redis came back');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const later = await alice.say('general', 'after the restart', 'c_while_down');
    acked.add(later.id);
    for (const ack of await alice.fill('general', 20)) acked.add(ack.id);
    const history = await readAll(node!, 'general');
    const ids = history.map((m) => m.id);
    for (const id of acked) expect(ids).toContain(id);
    expect(new Set(ids).size).toBe(ids.length);
    expectContiguous(history.map((m) => m.seq));
  });
});
