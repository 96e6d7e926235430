/** docs/protocol.md › Presence and typing. */
import { ERROR_CODES, type ServerMessage } from '@tether/protocol';
import { describe, expect, it } from 'vitest';

import { HOLD_WINDOW_MS } from '../helpers/client.js';
import { startOneProcess, startTestServer } from '../helpers/server.js';

describe('presence', () => {
  it('announces joined to the others in the room, not to the user itself', async () => {
    await using srv = await startTestServer();
    const alice = await srv.user('alice');
    const bob = await srv.user('bob');
    const carol = await srv.user('carol');
    await alice.join('general');
    await carol.join('elsewhere');
    await bob.join('general');
    expect(await alice.next('presence')).toEqual({
      type: 'presence',
      room: 'general',
      user: bob.user,
      state: 'joined',
    });
    await bob.expectNoFrame('presence', HOLD_WINDOW_MS);
    await carol.expectNoFrame('presence', 0);
  });

  it("announces joined only for a user's first connection and left only for its last", async () => {
    await using srv = await startTestServer();
    const alice = await srv.user('alice');
    await alice.join('general');
    const bob1 = await srv.user('bob');
    const bob2 = await srv.user('bob', bob1.token);
    await bob1.join('general');
    expect(await alice.next('presence')).toMatchObject({ user: bob1.user, state: 'joined' });
    await bob2.join('general');
    await alice.expectNoFrame('presence', HOLD_WINDOW_MS);
    // Bob's connections hear nothing about Bob.
    await bob1.expectNoFrame('presence', 0);
    bob1.send({ type: 'leave', room: 'general' });
    await bob1.next('left');
    await alice.expectNoFrame('presence', HOLD_WINDOW_MS);
    bob2.send({ type: 'leave', room: 'general' });
    await bob2.next('left');
    expect(await alice.next('presence', 3000)).toEqual({
      type: 'presence',
      room: 'general',
      user: bob1.user,
      state: 'left',
    });
  });

  it('announces left at once on leave', async () => {
    await using srv = await startTestServer({ PRESENCE_GRACE_MS: '10000' });
    const alice = await srv.user('alice');
    const bob = await srv.user('bob');
    await alice.join('general');
    await bob.join('general');
    await alice.next('presence');
    bob.send({ type: 'leave', room: 'general' });
    expect(await alice.next('presence', 3000)).toMatchObject({ user: bob.user, state: 'left' });
  });

  it.each([1000, 1001])('announces left at once on a clean close (%s)', async (code) => {
    await using srv = await startTestServer({ PRESENCE_GRACE_MS: '10000' });
    const alice = await srv.user('alice');
    const bob = await srv.user('bob');
    await alice.join('general');
    await bob.join('general');
    await alice.next('presence');
    await bob.close(code);
    expect(await alice.next('presence', 3000)).toMatchObject({
      user: bob.user,
      state: 'left',
      room: 'general',
    });
  });

  it('announces left in every room the closing connection was in', async () => {
    await using srv = await startTestServer({ PRESENCE_GRACE_MS: '10000' });
    const alice = await srv.user('alice');
    const bob = await srv.user('bob');
    await alice.join('one');
    await alice.join('two');
    await bob.join('one');
    await bob.join('two');
    await alice.next('presence');
    await alice.next('presence');
    await bob.close();
    const left = [await alice.next('presence', 3000), await alice.next('presence', 3000)];
    expect(left.map((p) => [p.room, p.state]).sort()).toEqual([
      ['one', 'left'],
      ['two', 'left'],
    ]);
  });

  it('announces left after PRESENCE_GRACE_MS when a connection drops without a close frame', async () => {
    await using srv = await startTestServer({ PRESENCE_GRACE_MS: '300' });
    const alice = await srv.user('alice');
    const bob = await srv.user('bob');
    await alice.join('general');
    await bob.join('general');
    await alice.next('presence');
    const dropped = Date.now();
    bob.terminate();
    const left = await alice.next('presence', 3000);
    const elapsed = Date.now() - dropped;
    expect(left).toMatchObject({ user: bob.user, state: 'left' });
    expect(elapsed).toBeGreaterThanOrEqual(280);
  });

  it('keeps a dropped user a member during the grace period', async () => {
    await using srv = await startTestServer({ PRESENCE_GRACE_MS: '5000' });
    const alice = await srv.user('alice');
    const bob = await srv.user('bob');
    await alice.join('general');
    await bob.join('general');
    await alice.next('presence');
    bob.terminate();
    await bob.closed();
    await alice.expectNoFrame('presence', HOLD_WINDOW_MS);
    const carol = await srv.user('carol');
    const joined = await carol.join('general');
    expect(joined.members).toEqual(expect.arrayContaining([alice.user, bob.user, carol.user]));
    carol.send({ type: 'rooms' });
    expect((await carol.next('rooms')).rooms).toContainEqual({ name: 'general', members: 3, seq: 0 });
  });

  it('shows a quick reconnect within the grace period as neither left nor joined', async () => {
    // Long enough for the reconnect (hello and join, each a round trip that
    // may wait on a commit) even on a loaded machine.
    const GRACE_MS = 3000;
    await using srv = await startTestServer({ PRESENCE_GRACE_MS: String(GRACE_MS) });
    const alice = await srv.user('alice');
    const bob = await srv.user('bob');
    await alice.join('general');
    await bob.join('general');
    await alice.next('presence');
    const dropped = Date.now();
    bob.terminate();
    const back = await srv.user('bob', bob.token);
    const joined = await back.join('general');
    expect(joined.members).toEqual(expect.arrayContaining([alice.user, bob.user]));
    // Nothing, not even once the grace period of the drop has run out.
    await alice.expectNoFrame('presence', Math.max(dropped + GRACE_MS + 500 - Date.now(), 500));
    // Bob is a member for real: a message from him reaches alice.
    await back.say('general', 'I am back');
    expect(await alice.next('message')).toMatchObject({ text: 'I am back', from: bob.user });
  });

  it('announces joined again when a user comes back after left', async () => {
    await using srv = await startTestServer();
    const alice = await srv.user('alice');
    const bob = await srv.user('bob');
    await alice.join('general');
    await bob.join('general');
    expect(await alice.next('presence')).toMatchObject({ state: 'joined' });
    bob.send({ type: 'leave', room: 'general' });
    expect(await alice.next('presence')).toMatchObject({ state: 'left' });
    await bob.join('general');
    expect(await alice.next('presence')).toMatchObject({ user: bob.user, state: 'joined' });
  });

  it('does not announce left when a dropped connection leaves another of the user in the room', async () => {
    await using srv = await startTestServer({ PRESENCE_GRACE_MS: '200' });
    const alice = await srv.user('alice');
    const bob1 = await srv.user('bob');
    const bob2 = await srv.user('bob', bob1.token);
    await alice.join('general');
    await bob1.join('general');
    await bob2.join('general');
    await alice.next('presence');
    bob1.terminate();
    await alice.expectNoFrame('presence', 800);
  });

  it('announces left after the grace period when the user reconnects but does not rejoin the room', async () => {
    // Long enough for the reconnect to come within it even on a loaded machine.
    const GRACE_MS = 2000;
    await using srv = await startTestServer({ PRESENCE_GRACE_MS: String(GRACE_MS) });
    const alice = await srv.user('alice');
    const bob = await srv.user('bob');
    await alice.join('general');
    await bob.join('general');
    await alice.join('other');
    await alice.next('presence');
    bob.terminate();
    const back = await srv.user('bob', bob.token);
    await back.join('other');
    const inRoom = (room: string) => (f: ServerMessage) => f.type === 'presence' && f.room === room;
    expect(await alice.nextWhere(inRoom('other'), 3000, 'presence in other')).toMatchObject({
      user: bob.user,
      state: 'joined',
    });
    expect(await alice.nextWhere(inRoom('general'), GRACE_MS + 3000, 'presence in general')).toMatchObject({
      user: bob.user,
      state: 'left',
    });
  });

  it('lists a user as a member in joined while present and not after left', async () => {
    await using srv = await startTestServer();
    const alice = await srv.user('alice');
    const bob = await srv.user('bob');
    await alice.join('general');
    await bob.join('general');
    await alice.next('presence');
    bob.send({ type: 'leave', room: 'general' });
    await alice.next('presence');
    const carol = await srv.user('carol');
    const joined = await carol.join('general');
    expect(joined.members).toHaveLength(2);
    expect(joined.members).toEqual(expect.arrayContaining([alice.user, carol.user]));
  });
});

describe('typing', () => {
  it('relays typing to every other connection in the room, not the sender', async () => {
    await using srv = await startTestServer();
    const alice1 = await srv.user('alice');
    const alice2 = await srv.user('alice', alice1.token);
    const bob = await srv.user('bob');
    const carol = await srv.user('carol');
    for (const c of [alice1, alice2, bob]) await c.join('general');
    await carol.join('elsewhere');
    alice1.send({ type: 'typing', room: 'general' });
    const expected = { type: 'typing', room: 'general', user: alice1.user };
    expect(await bob.next('typing')).toEqual(expected);
    expect(await alice2.next('typing')).toEqual(expected);
    await alice1.expectNoFrame('typing', HOLD_WINDOW_MS);
    await carol.expectNoFrame('typing', 0);
  });

  // The throttle is kept by each process (docs/protocol.md › typing).
  it('relays at most one typing per user per room per second and drops the rest silently', async () => {
    await using srv = await startOneProcess();
    const alice = await srv.user('alice');
    const alice2 = await srv.user('alice', alice.token);
    const bob = await srv.user('bob');
    await alice.join('general');
    await alice.join('other');
    await alice2.join('general');
    await bob.join('general');
    await bob.join('other');
    alice.send({ type: 'typing', room: 'general' });
    alice.send({ type: 'typing', room: 'general' });
    alice2.send({ type: 'typing', room: 'general' });
    alice.send({ type: 'typing', room: 'other' });
    await bob.nextWhere((f) => f.type === 'typing' && f.room === 'general', 2000, 'typing in general');
    // The server let that one through before it reached bob: its second ends by then + 1 s.
    const relayed = Date.now();
    await bob.nextWhere((f) => f.type === 'typing' && f.room === 'other', 2000, 'typing in other');
    await alice.expectNoFrame('error', 0);
    // The throttle is per user: alice's second connection does not get a fresh allowance.
    // The dropped ones are dropped, not delayed: nothing more comes, within the second or after it.
    await bob.expectNoFrame('typing', Math.max(relayed + 1100 - Date.now(), 0));
    await alice.expectNoFrame('error', 0);
    await alice2.expectNoFrame('error', 0);
    alice.send({ type: 'typing', room: 'general' });
    expect(await bob.next('typing', 2000)).toMatchObject({ room: 'general', user: alice.user });
  });

  it('answers typing in a room the connection is not in with not_in_room', async () => {
    await using srv = await startTestServer();
    const alice = await srv.user('alice');
    alice.send({ type: 'typing', room: 'general' });
    expect(await alice.nextError(ERROR_CODES.NOT_IN_ROOM)).toMatchObject({ room: 'general' });
  });
});
