/**
 * A Redis restored from an older snapshot sends a room's seq back (172 → 124)
 * under the same epoch. Before, the next 48 acked messages reused seqs
 * 125–172 and reached no connected member (they had seen those seqs) and no
 * client resuming from 172. Now the server notices that the store handed out
 * a seq it had already delivered, gives the room a new epoch, and every
 * connection gets the room anew; a client resuming with the old epoch gets
 * the new history.
 */
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';

import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { ServerMessage } from '@tether/protocol';

import { waitFor } from '../helpers/metrics.js';
import { startRedisServer, type RedisServer } from '../helpers/redis.js';
import { startTestServer } from '../helpers/server.js';

let redis: RedisServer;

beforeAll(async () => {
  redis = await startRedisServer({ persistence: 'rdb' });
});

afterAll(async () => {
  await redis.dispose();
});

/** SAVE now: the snapshot a restore brings back. */
async function snapshot(): Promise<void> {
  const client = new Redis(redis.url);
  try {
    await client.save();
  } finally {
    client.disconnect();
  }
}

describe('redis: restored from an older snapshot', () => {
  it('gives the room a new epoch, and every member and resuming client the messages acked after the restore', async () => {
    await using srv = await startTestServer({
      REDIS_URL: redis.url,
      REDIS_PREFIX: 'rewind:',
      RATE_LIMIT_PER_SEC: '100000',
      RATE_LIMIT_BURST: '100000',
    });
    const author = await srv.user('author');
    const member = await srv.user('member');
    // Users made before the snapshot survive the restore.
    const away = await srv.user('away');
    const before = await author.join('general');
    await member.join('general');
    await author.fill('general', 124);
    await snapshot();
    const older = join(redis.dir, 'older.rdb');
    await copyFile(join(redis.dir, 'dump.rdb'), older);
    await author.fill('general', 48);
    member.clear();
    // A client that then goes away holds every seq up to 172.
    const awayJoined = await away.join('general');
    expect(awayJoined.seq).toBe(172);
    await away.close();

    // Redis comes back from the older snapshot: the room's seq is 124 again.
    await redis.stop('SIGKILL');
    await copyFile(older, join(redis.dir, 'dump.rdb'));
    await redis.start();
    await waitFor(
      async () => ((await fetch(`${srv.url}/readyz`)).status === 200 ? true : undefined),
      10_000,
      'ready',
    );

    // The next message gets seq 125, a seq the room already delivered.
    const ack = await author.say('general', 'after the restore');
    expect(ack.seq).toBe(125);
    // The room starts a new epoch: each member gets it anew, with that message.
    const reloaded = await member.nextWhere<ServerMessage & { type: 'joined' }>((f) => f.type === 'joined');
    expect(reloaded.epoch).not.toBe(before.epoch);
    expect(reloaded.seq).toBe(125);
    expect(reloaded.messages.at(-1)).toMatchObject({ seq: 125, text: 'after the restore' });
    // The one who was away resumes from 172 with the old epoch: the new history.
    const back = await srv.user('away', away.token);
    const resumed = await back.join('general', { since: 172, epoch: before.epoch });
    expect(resumed.epoch).toBe(reloaded.epoch);
    expect(resumed.messages.at(-1)).toMatchObject({ seq: 125, text: 'after the restore' });
    // And what comes next reaches everyone, in order.
    await author.say('general', 'and on');
    const next = await member.nextWhere<ServerMessage & { type: 'message' }>(
      (f) => f.type === 'message' && f.text === 'and on',
    );
    expect(next.seq).toBe(126);
  }, 60_000);
});
