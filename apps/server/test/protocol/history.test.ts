/** docs/protocol.md › Messages › history: paging backwards with before/limit. */
import { ERROR_CODES, type Message } from '@tether/protocol';
import { describe, expect, it } from 'vitest';

import type { TestClient } from '../helpers/client.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const FAST = { RATE_LIMIT_PER_SEC: '100000', RATE_LIMIT_BURST: '100000' };
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const seqs = (messages: readonly Message[]) => messages.map((m) => m.seq);

async function roomWith(srv: TestServer, count: number): Promise<TestClient> {
  const writer = await srv.user('writer');
  await writer.join('general');
  await writer.fill('general', count);
  const reader = await srv.user('reader');
  await reader.join('general');
  return reader;
}

describe('history', () => {
  it('defaults to the latest 50 messages (limit 50, before: all), ascending, with hasMore', async () => {
    await using srv = await startTestServer(FAST);
    const reader = await roomWith(srv, 120);
    reader.send({ type: 'history', room: 'general' });
    const page = await reader.next('history');
    expect(page.room).toBe('general');
    expect(seqs(page.messages)).toEqual(range(71, 120));
    expect(page.hasMore).toBe(true);
    expect(page.messages[0]).toMatchObject({ room: 'general', seq: 71, text: 'message 71' });
  });

  it('pages backwards with before and limit until hasMore is false', async () => {
    await using srv = await startTestServer(FAST);
    const reader = await roomWith(srv, 120);
    reader.send({ type: 'history', room: 'general', before: 60, limit: 50 });
    const page1 = await reader.next('history');
    expect(seqs(page1.messages)).toEqual(range(10, 59));
    expect(page1.hasMore).toBe(true);
    reader.send({ type: 'history', room: 'general', before: 10, limit: 50 });
    const page2 = await reader.next('history');
    expect(seqs(page2.messages)).toEqual(range(1, 9));
    expect(page2.hasMore).toBe(false);
  });

  it('answers hasMore false when the page reaches seq 1 exactly', async () => {
    await using srv = await startTestServer(FAST);
    const reader = await roomWith(srv, 30);
    reader.send({ type: 'history', room: 'general', before: 11, limit: 10 });
    const page = await reader.next('history');
    expect(seqs(page.messages)).toEqual(range(1, 10));
    expect(page.hasMore).toBe(false);
  });

  it('accepts limit 1 and limit 100', async () => {
    await using srv = await startTestServer(FAST);
    const reader = await roomWith(srv, 120);
    reader.send({ type: 'history', room: 'general', limit: 1 });
    const one = await reader.next('history');
    expect(seqs(one.messages)).toEqual([120]);
    expect(one.hasMore).toBe(true);
    reader.send({ type: 'history', room: 'general', limit: 100 });
    const hundred = await reader.next('history');
    expect(seqs(hundred.messages)).toEqual(range(21, 120));
    reader.send({ type: 'history', room: 'general', before: 101, limit: 100 });
    const all = await reader.next('history');
    expect(seqs(all.messages)).toEqual(range(1, 100));
    expect(all.hasMore).toBe(false);
  });

  it('answers an empty page for before 1 and for an empty room', async () => {
    await using srv = await startTestServer(FAST);
    const reader = await roomWith(srv, 5);
    reader.send({ type: 'history', room: 'general', before: 1 });
    expect(await reader.next('history')).toEqual({
      type: 'history',
      room: 'general',
      messages: [],
      hasMore: false,
    });
    await reader.join('empty');
    reader.send({ type: 'history', room: 'empty' });
    expect(await reader.next('history')).toEqual({
      type: 'history',
      room: 'empty',
      messages: [],
      hasMore: false,
    });
  });

  it('returns full messages as they were sent', async () => {
    await using srv = await startTestServer();
    const alice = await srv.user('alice');
    await alice.join('general');
    const ack = await alice.say('general', 'remember me');
    alice.send({ type: 'history', room: 'general' });
    const page = await alice.next('history');
    expect(page.messages).toEqual([
      {
        room: 'general',
        seq: ack.seq,
        ts: ack.ts,
        id: ack.id,
        from: alice.user,
        text: 'remember me',
        rev: ack.seq,
      },
    ]);
  });

  it.each([
    ['0', 0],
    ['101', 101],
    ['-1', -1],
    ['1.5', 1.5],
    ['a string', '10'],
  ])('answers limit %s with bad_request, echoing the room', async (_what, limit) => {
    await using srv = await startTestServer();
    const alice = await srv.user('alice');
    await alice.join('general');
    alice.send({ type: 'history', room: 'general', limit });
    expect(await alice.nextError(ERROR_CODES.BAD_REQUEST)).toMatchObject({ room: 'general' });
    expect(alice.isOpen()).toBe(true);
  });

  it('answers a room the connection is not in with not_in_room', async () => {
    await using srv = await startTestServer();
    const alice = await srv.user('alice');
    await alice.join('general');
    await alice.say('general', 'secret');
    const outsider = await srv.user('outsider');
    outsider.send({ type: 'history', room: 'general' });
    expect(await outsider.nextError(ERROR_CODES.NOT_IN_ROOM)).toMatchObject({ room: 'general' });
    outsider.send({ type: 'history', room: 'never-created' });
    expect(await outsider.nextError(ERROR_CODES.NOT_IN_ROOM)).toMatchObject({ room: 'never-created' });
  });

  it("judges not_in_room per connection: another connection of the user in the room doesn't count", async () => {
    await using srv = await startTestServer();
    const tab1 = await srv.user('alice');
    const tab2 = await srv.user('alice', tab1.token);
    await tab1.join('general');
    tab2.send({ type: 'history', room: 'general' });
    expect(await tab2.nextError(ERROR_CODES.NOT_IN_ROOM)).toMatchObject({ room: 'general' });
    tab2.send({ type: 'typing', room: 'general' });
    expect(await tab2.nextError(ERROR_CODES.NOT_IN_ROOM)).toMatchObject({ room: 'general' });
    tab2.send({ type: 'send', room: 'general', id: 'tab2-msg', text: 'hi' });
    expect(await tab2.nextError(ERROR_CODES.NOT_IN_ROOM)).toMatchObject({ room: 'general', id: 'tab2-msg' });
    tab2.send({ type: 'leave', room: 'general' });
    expect(await tab2.nextError(ERROR_CODES.NOT_IN_ROOM)).toMatchObject({ room: 'general' });
  });

  it('answers not_in_room after the connection left the room', async () => {
    await using srv = await startTestServer();
    const alice = await srv.user('alice');
    await alice.join('general');
    alice.send({ type: 'leave', room: 'general' });
    await alice.next('left');
    alice.send({ type: 'history', room: 'general' });
    await alice.nextError(ERROR_CODES.NOT_IN_ROOM);
  });

  it('continues where joined stopped: history before messages[0] gives the rest', async () => {
    await using srv = await startTestServer(FAST);
    const reader = await roomWith(srv, 75);
    const joined = await reader.join('general');
    expect(joined.hasMore).toBe(true);
    reader.send({ type: 'history', room: 'general', before: joined.messages[0]!.seq });
    const page = await reader.next('history');
    expect(seqs(page.messages)).toEqual(range(1, 25));
    expect(page.hasMore).toBe(false);
  });
});
