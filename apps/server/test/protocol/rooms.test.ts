/** docs/protocol.md › Rooms: names, join/joined, history on join, resume, leave, the room list. */
import { ERROR_CODES, LIMITS, type Message } from '@tether/protocol';
import { describe, expect, it } from 'vitest';

import { startTestServer } from '../helpers/server.js';
import { HOLD_WINDOW_MS } from '../helpers/client.js';

// Filling rooms needs hundreds of sends; the rate limit has its own tests.
const FAST = { RATE_LIMIT_PER_SEC: '100000', RATE_LIMIT_BURST: '100000' };

const seqs = (messages: readonly Message[]) => messages.map((m) => m.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('room names', () => {
  it.each([
    ['uppercase', 'General'],
    ['a leading dash', '-abc'],
    ['a leading underscore', '_abc'],
    ['33 characters', 'a'.repeat(33)],
    ['empty', ''],
    ['a space', 'a b'],
    ['a dot', 'a.b'],
    ['a non-ASCII letter', 'café'],
    ['a slash', 'a/b'],
  ])('refuses a room name with %s with invalid_room, echoing the room', async (_what, room) => {
    await using srv = await startTestServer();
    const client = await srv.user('alice');
    client.send({ type: 'join', room });
    expect(await client.nextError(ERROR_CODES.INVALID_ROOM)).toMatchObject({ room });
    expect(client.isOpen()).toBe(true);
  });

  it.each(['a', '0', 'a'.repeat(32), '0-_x', 'room_1-b'])('accepts the room name %s', async (room) => {
    await using srv = await startTestServer();
    const client = await srv.user('alice');
    expect((await client.join(room)).room).toBe(room);
  });

  it.each([
    ['leave', { type: 'leave', room: 'Bad Room' }],
    ['send', { type: 'send', room: 'Bad Room', id: 'm1', text: 'hi' }],
    ['history', { type: 'history', room: 'Bad Room' }],
    ['typing', { type: 'typing', room: 'Bad Room' }],
  ])('answers %s with an invalid room name with invalid_room', async (_type, frame) => {
    await using srv = await startTestServer();
    const client = await srv.user('alice');
    client.send(frame);
    expect(await client.nextError(ERROR_CODES.INVALID_ROOM)).toMatchObject({ room: 'Bad Room' });
  });
});

describe('join', () => {
  it('answers joined with the epoch, seq 0, the members and no messages for a new room', async () => {
    await using srv = await startTestServer();
    const alice = await srv.user('alice');
    const joined = await alice.join('general');
    expect(joined).toEqual({
      type: 'joined',
      room: 'general',
      epoch: expect.any(String) as unknown,
      seq: 0,
      members: [alice.user],
      memberCount: 1,
      messages: [],
      hasMore: false,
    });
    expect(joined.epoch.length).toBeGreaterThan(0);
  });

  it('lists the members already in the room', async () => {
    await using srv = await startTestServer();
    const alice = await srv.user('alice');
    const bob = await srv.user('bob');
    const carol = await srv.user('carol');
    await alice.join('general');
    await bob.join('general');
    const joined = await carol.join('general');
    expect(joined.members).toHaveLength(3);
    expect(joined.members).toEqual(expect.arrayContaining([alice.user, bob.user, carol.user]));
  });

  it('lists a user with several connections once', async () => {
    await using srv = await startTestServer();
    const tab1 = await srv.user('alice');
    const tab2 = await srv.user('alice', tab1.token);
    await tab1.join('general');
    await tab2.join('general');
    const bob = await srv.user('bob');
    const joined = await bob.join('general');
    expect(joined.members).toHaveLength(2);
  });

  it('holds the latest JOIN_HISTORY (50) messages, ascending, with hasMore', async () => {
    await using srv = await startTestServer(FAST);
    const writer = await srv.user('writer');
    await writer.join('general');
    await writer.fill('general', 60);
    const reader = await srv.user('reader');
    const joined = await reader.join('general');
    expect(joined.seq).toBe(60);
    expect(joined.messages).toHaveLength(LIMITS.JOIN_HISTORY);
    expect(seqs(joined.messages)).toEqual(range(11, 60));
    expect(joined.hasMore).toBe(true);
    expect(joined.messages[0]).toMatchObject({
      room: 'general',
      seq: 11,
      text: 'message 11',
      from: writer.user,
    });
  });

  it('holds all messages and hasMore false when the room has fewer than 50', async () => {
    await using srv = await startTestServer(FAST);
    const writer = await srv.user('writer');
    await writer.join('general');
    await writer.fill('general', 30);
    const reader = await srv.user('reader');
    const joined = await reader.join('general');
    expect(seqs(joined.messages)).toEqual(range(1, 30));
    expect(joined.hasMore).toBe(false);
  });

  it('holds exactly 50 and hasMore false when the room has exactly 50', async () => {
    await using srv = await startTestServer(FAST);
    const writer = await srv.user('writer');
    await writer.join('general');
    await writer.fill('general', 50);
    const reader = await srv.user('reader');
    const joined = await reader.join('general');
    expect(seqs(joined.messages)).toEqual(range(1, 50));
    expect(joined.hasMore).toBe(false);
  });

  it('answers joined again when the connection is already in the room', async () => {
    await using srv = await startTestServer(FAST);
    const alice = await srv.user('alice');
    const bob = await srv.user('bob');
    await bob.join('general');
    const first = await alice.join('general');
    await bob.next('presence');
    await alice.fill('general', 3);
    const again = await alice.join('general');
    expect(again).toMatchObject({ room: 'general', epoch: first.epoch, seq: 3 });
    expect(seqs(again.messages)).toEqual([1, 2, 3]);
    await alice.expectNoFrame('error', 100);
    // Still one member: a re-join is not a new arrival.
    await bob.expectNoFrame('presence', HOLD_WINDOW_MS);
  });
});

describe('resume with since and epoch', () => {
  it('holds every message with seq > since', async () => {
    await using srv = await startTestServer(FAST);
    const writer = await srv.user('writer');
    const { epoch } = await writer.join('general');
    await writer.fill('general', 60);
    const reader = await srv.user('reader');
    const joined = await reader.join('general', { since: 55, epoch });
    expect(joined.epoch).toBe(epoch);
    expect(joined.seq).toBe(60);
    expect(seqs(joined.messages)).toEqual([56, 57, 58, 59, 60]);
    expect(joined.hasMore).toBe(false);
  });

  it('holds more than JOIN_HISTORY when the client is further behind', async () => {
    await using srv = await startTestServer(FAST);
    const writer = await srv.user('writer');
    const { epoch } = await writer.join('general');
    await writer.fill('general', 120);
    const reader = await srv.user('reader');
    const joined = await reader.join('general', { since: 10, epoch });
    expect(seqs(joined.messages)).toEqual(range(11, 120));
    expect(joined.hasMore).toBe(false);
  });

  it('holds nothing when the client is up to date', async () => {
    await using srv = await startTestServer(FAST);
    const writer = await srv.user('writer');
    const { epoch } = await writer.join('general');
    await writer.fill('general', 5);
    const reader = await srv.user('reader');
    const joined = await reader.join('general', { since: 5, epoch });
    expect(joined.messages).toEqual([]);
    expect(joined.hasMore).toBe(false);
  });

  it('answers a since beyond the latest seq with the latest messages, as a first join', async () => {
    await using srv = await startTestServer(FAST);
    const writer = await srv.user('writer');
    const { epoch } = await writer.join('general');
    await writer.fill('general', 5);
    const reader = await srv.user('reader');
    // The client holds seqs the server does not: its joined.seq below its
    // since tells it to drop its copy, and here is the room as it is.
    const joined = await reader.join('general', { since: 50, epoch });
    expect(joined.seq).toBe(5);
    expect(joined.epoch).toBe(epoch);
    expect(seqs(joined.messages)).toEqual(range(1, 5));
    expect(joined.hasMore).toBe(false);
  });

  it('holds the latest 50 when an epoch comes without since', async () => {
    await using srv = await startTestServer(FAST);
    const writer = await srv.user('writer');
    const { epoch } = await writer.join('general');
    await writer.fill('general', 60);
    const reader = await srv.user('reader');
    reader.send({ type: 'join', room: 'general', epoch });
    const joined = await reader.next('joined');
    expect(seqs(joined.messages)).toEqual(range(11, 60));
    expect(joined.hasMore).toBe(true);
  });

  it('holds the latest 50 when the epoch is not the current one', async () => {
    await using srv = await startTestServer(FAST);
    const writer = await srv.user('writer');
    await writer.join('general');
    await writer.fill('general', 60);
    const reader = await srv.user('reader');
    const joined = await reader.join('general', { since: 55, epoch: 'e_not_this_one' });
    expect(seqs(joined.messages)).toEqual(range(11, 60));
    expect(joined.hasMore).toBe(true);
  });

  it('holds the latest 50 when since comes without an epoch', async () => {
    await using srv = await startTestServer(FAST);
    const writer = await srv.user('writer');
    await writer.join('general');
    await writer.fill('general', 60);
    const reader = await srv.user('reader');
    reader.send({ type: 'join', room: 'general', since: 55 });
    const joined = await reader.next('joined');
    expect(seqs(joined.messages)).toEqual(range(11, 60));
  });

  it('holds at most RESUME_LIMIT (500), the latest ones, with hasMore', async () => {
    await using srv = await startTestServer(FAST);
    const writer = await srv.user('writer');
    const { epoch } = await writer.join('general');
    await writer.fill('general', 600);
    const reader = await srv.user('reader');
    const all = await reader.join('general', { since: 0, epoch });
    expect(all.messages).toHaveLength(LIMITS.RESUME_LIMIT);
    expect(seqs(all.messages)).toEqual(range(101, 600));
    expect(all.hasMore).toBe(true);
    const oneShort = await reader.join('general', { since: 99, epoch });
    expect(seqs(oneShort.messages)).toEqual(range(101, 600));
    expect(oneShort.hasMore).toBe(true);
    const exact = await reader.join('general', { since: 100, epoch });
    expect(seqs(exact.messages)).toEqual(range(101, 600));
    expect(exact.hasMore).toBe(false);
  });

  it('keeps the epoch across a server restart on the same database', async () => {
    await using srv = await startTestServer(FAST);
    const writer = await srv.user('writer');
    const { epoch } = await writer.join('general');
    await writer.fill('general', 10);
    await srv.restart();
    const reader = await srv.user('reader');
    const joined = await reader.join('general', { since: 7, epoch });
    expect(joined.epoch).toBe(epoch);
    expect(joined.seq).toBe(10);
    expect(seqs(joined.messages)).toEqual([8, 9, 10]);
  });

  it('gives different rooms their own seq numbers', async () => {
    await using srv = await startTestServer(FAST);
    const writer = await srv.user('writer');
    await writer.join('one');
    await writer.join('two');
    await writer.fill('one', 3);
    const acks = await writer.fill('two', 2);
    expect(acks.map((a) => a.seq)).toEqual([1, 2]);
  });
});

describe('room limit', () => {
  it('answers the 21st room with too_many_rooms and keeps the connection in its 20', async () => {
    await using srv = await startTestServer();
    const client = await srv.user('busy');
    for (let i = 0; i < LIMITS.MAX_ROOMS_PER_CONNECTION; i++) await client.join(`r${i}`);
    client.send({ type: 'join', room: 'r20' });
    expect(await client.nextError(ERROR_CODES.TOO_MANY_ROOMS)).toMatchObject({ room: 'r20' });
    expect(client.isOpen()).toBe(true);
    // Re-joining one of its rooms is still fine.
    expect((await client.join('r5')).room).toBe('r5');
    // Leaving one makes room for another.
    client.send({ type: 'leave', room: 'r0' });
    expect(await client.next('left')).toEqual({ type: 'left', room: 'r0' });
    expect((await client.join('r20')).room).toBe('r20');
  });

  it('counts rooms per connection, not per user', async () => {
    await using srv = await startTestServer();
    const tab1 = await srv.user('busy');
    for (let i = 0; i < 20; i++) await tab1.join(`r${i}`);
    const tab2 = await srv.user('busy', tab1.token);
    expect((await tab2.join('r20')).room).toBe('r20');
  });
});

describe('leave', () => {
  it('answers left and stops delivering the room', async () => {
    await using srv = await startTestServer();
    const alice = await srv.user('alice');
    const bob = await srv.user('bob');
    await alice.join('general');
    await bob.join('general');
    alice.send({ type: 'leave', room: 'general' });
    expect(await alice.next('left')).toEqual({ type: 'left', room: 'general' });
    await bob.say('general', 'anyone?');
    await alice.expectNoFrame('message', 300);
  });

  it('answers leaving a room the connection is not in with not_in_room', async () => {
    await using srv = await startTestServer();
    const alice = await srv.user('alice');
    alice.send({ type: 'leave', room: 'nowhere' });
    expect(await alice.nextError(ERROR_CODES.NOT_IN_ROOM)).toMatchObject({ room: 'nowhere' });
    await alice.join('general');
    alice.send({ type: 'leave', room: 'general' });
    await alice.next('left');
    alice.send({ type: 'leave', room: 'general' });
    expect(await alice.nextError(ERROR_CODES.NOT_IN_ROOM)).toMatchObject({ room: 'general' });
  });
});

describe('rooms', () => {
  it('lists every room with its members and latest seq, including rooms with no members', async () => {
    await using srv = await startTestServer();
    const alice = await srv.user('alice');
    const bob = await srv.user('bob');
    await alice.join('alpha');
    await bob.join('alpha');
    await alice.join('beta');
    await alice.say('alpha', 'one');
    await alice.say('alpha', 'two');
    await alice.say('beta', 'three');
    alice.send({ type: 'leave', room: 'beta' });
    await alice.next('left');
    const viewer = await srv.user('viewer');
    viewer.send({ type: 'rooms' });
    const list = await viewer.next('rooms');
    const byName = new Map(list.rooms.map((r) => [r.name, r]));
    expect(byName.get('alpha')).toEqual({ name: 'alpha', members: 2, seq: 2 });
    expect(byName.get('beta')).toEqual({ name: 'beta', members: 0, seq: 1 });
    expect(list.rooms).toHaveLength(2);
  });

  it('is empty before anyone joined a room', async () => {
    await using srv = await startTestServer();
    const viewer = await srv.user('viewer');
    viewer.send({ type: 'rooms' });
    expect(await viewer.next('rooms')).toEqual({ type: 'rooms', rooms: [], hasMore: false });
  });

  it('still lists rooms after a restart', async () => {
    await using srv = await startTestServer();
    const alice = await srv.user('alice');
    await alice.join('kept');
    await alice.say('kept', 'hello');
    // Leave first: whether a member dropped by a restart is still inside its
    // grace period afterwards depends on the store (Redis keeps presence).
    alice.send({ type: 'leave', room: 'kept' });
    await alice.next('left');
    await srv.restart();
    const viewer = await srv.user('viewer');
    viewer.send({ type: 'rooms' });
    const list = await viewer.next('rooms');
    expect(list.rooms).toContainEqual({ name: 'kept', members: 0, seq: 1 });
  });
});
