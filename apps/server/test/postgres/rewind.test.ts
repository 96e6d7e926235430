/**
 * A database restored from an older backup sends a room's seq back (172 →
 * 124) under the same epoch. Without a check, the next 48 acked messages
 * would reuse seqs 125–172 and reach no connected member (they had seen
 * those seqs) and no client resuming from 172. The server notices that the
 * store handed out a seq it had already delivered, gives the room a new
 * epoch, and every connection gets the room anew; a client resuming with
 * the old epoch gets the new history.
 *
 * The restore is a real one: `pg_dump` of the test's schema, more messages,
 * then the schema dropped and the dump played back with `psql`.
 */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { ServerMessage } from '@tether/protocol';

import { freshSchema, query, startCluster, type PostgresCluster } from '../helpers/postgres.js';
import { startTestServer } from '../helpers/server.js';

const run = promisify(execFile);

/** Debian keeps PostgreSQL's tools off PATH: the newest version's bin folder. */
function pgBin(tool: string): string {
  const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
  return `/usr/lib/postgresql/${versions[0] ?? ''}/bin/${tool}`;
}

let cluster: PostgresCluster;

beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(async () => {
  await cluster.stop();
});

describe('postgres: restored from an older backup', () => {
  it('gives the room a new epoch, and every member and resuming client the messages acked after the restore', async () => {
    const url = await freshSchema(cluster.url);
    const schema = new URL(url).searchParams.get('options')?.split('=')[1] ?? '';
    await using srv = await startTestServer(
      { DATABASE_URL: url, RATE_LIMIT_PER_SEC: '100000', RATE_LIMIT_BURST: '100000' },
      {},
      { nodes: 1 },
    );
    const author = await srv.user('author');
    const member = await srv.user('member');
    // Users made before the backup survive the restore.
    const away = await srv.user('away');
    const before = await author.join('general');
    await member.join('general');
    await author.fill('general', 124);
    const { stdout: backup } = await run(pgBin('pg_dump'), ['--dbname', cluster.url, '--schema', schema], {
      maxBuffer: 64 * 1024 * 1024,
    });
    await author.fill('general', 48);
    member.clear();
    // A client that then goes away holds every seq up to 172.
    const awayJoined = await away.join('general');
    expect(awayJoined.seq).toBe(172);
    await away.close();

    // The backup comes back: the room's seq is 124 again.
    await query(cluster.url, `DROP SCHEMA ${schema} CASCADE`);
    const restore = run(pgBin('psql'), ['--dbname', cluster.url, '--quiet', '--set', 'ON_ERROR_STOP=1']);
    restore.child.stdin?.end(backup);
    await restore;
    expect(await query(url, "SELECT seq FROM rooms WHERE name = 'general'")).toEqual([{ seq: 124 }]);

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
