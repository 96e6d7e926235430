/**
 * docs/protocol.md › Tokens and identity, Renames: a user's name is the same
 * on every connection at every moment. A rename on one connection reaches
 * the user's other connections and everyone sharing a room with them as one
 * `renamed` frame each; from then on nothing carries the old name, which a
 * stranger may take.
 */
import { ERROR_CODES, type ServerMessageOf } from '@tether/protocol';
import { describe, expect, it } from 'vitest';

import { isMessage } from '../helpers/client.js';
import { startTestServer } from '../helpers/server.js';

describe('renames', () => {
  it('reaches the renamed user’s other connection, which then speaks only under the new name', async () => {
    await using srv = await startTestServer();
    const a = await srv.user('alice');
    const bob = await srv.user('bob');
    await a.join('general');
    await bob.join('general');

    // The attack: rename on B, which frees "alice"; A keeps talking; a stranger takes "alice".
    const b = await srv.connect();
    await b.hello('alicia', a.token);
    const renamedOnA = await a.next('renamed');
    expect(renamedOnA.user).toEqual({ id: a.user!.id, name: 'alicia' });
    expect((await bob.next('renamed')).user).toEqual({ id: a.user!.id, name: 'alicia' });

    const stranger = await srv.user('alice');
    expect(stranger.user!.id).not.toBe(a.user!.id);
    await stranger.join('general');

    await a.say('general', 'still me');
    const seen = await bob.collect(1, isMessage, 5000, 'message');
    expect(seen[0]!.from).toEqual({ id: a.user!.id, name: 'alicia' });

    // The member list holds one alicia and one (new) alice: never the old name under the old id.
    bob.send({ type: 'members', room: 'general' });
    const page = await bob.next('members');
    const names = new Map(page.members.map((u) => [u.id, u.name]));
    expect(names.get(a.user!.id)).toBe('alicia');
    expect(names.get(stranger.user!.id)).toBe('alice');
    expect(page.count).toBe(3);
  });

  it('gives a connection one `renamed` however many rooms it shares with the user', async () => {
    await using srv = await startTestServer();
    const alice = await srv.user('alice');
    const bob = await srv.user('bob');
    for (const room of ['one', 'two', 'three']) {
      await alice.join(room);
      await bob.join(room);
    }
    const renaming = await srv.connect();
    await renaming.hello('alicia', alice.token);
    await bob.next('renamed');
    await bob.expectNoFrame('renamed', 300);
    await alice.next('renamed');
    await alice.expectNoFrame('renamed', 300);
  });

  it('tells nobody outside the user’s rooms', async () => {
    await using srv = await startTestServer();
    const alice = await srv.user('alice');
    const outsider = await srv.user('outsider');
    await alice.join('general');
    await outsider.join('elsewhere');
    const renaming = await srv.connect();
    await renaming.hello('alicia', alice.token);
    await alice.next('renamed');
    await outsider.expectNoFrame('renamed', 300);
  });

  it('lists the new name to whoever joins after the rename', async () => {
    await using srv = await startTestServer();
    const alice = await srv.user('alice');
    await alice.join('general');
    const renaming = await srv.connect();
    await renaming.hello('alicia', alice.token);
    await alice.next('renamed');
    const carol = await srv.user('carol');
    const joined = await carol.join('general');
    expect(joined.members).toContainEqual({ id: alice.user!.id, name: 'alicia' });
    expect(joined.members.some((u) => u.name === 'alice')).toBe(false);
  });

  it('keeps earlier messages under the name they were sent with', async () => {
    await using srv = await startTestServer();
    const alice = await srv.user('alice');
    await alice.join('general');
    await alice.say('general', 'before');
    const renaming = await srv.connect();
    await renaming.hello('alicia', alice.token);
    await alice.next('renamed');
    await alice.say('general', 'after');
    const reader = await srv.user('reader');
    const joined = await reader.join('general');
    expect(joined.messages.map((m) => [m.text, m.from.name])).toEqual([
      ['before', 'alice'],
      ['after', 'alicia'],
    ]);
  });

  it('refuses renames beyond RENAMES_PER_HOUR with rate_limited, naming the request and when to retry', async () => {
    // Budgets are kept per process.
    await using srv = await startTestServer({ RENAMES_PER_HOUR: '2' }, {}, { nodes: 1 });
    const alice = await srv.user('alice');
    await (await srv.connect()).hello('alice2', alice.token);
    await (await srv.connect()).hello('alice3', alice.token);
    const third = await srv.connect();
    third.send({ type: 'hello', v: 1, name: 'alice4', token: alice.token });
    const refused: ServerMessageOf<'error'> = await third.nextError(ERROR_CODES.RATE_LIMITED);
    expect(refused.request).toBe('hello');
    // Two an hour: the next one in about half an hour.
    expect(refused.retryAfterMs).toBeGreaterThan(1_000_000);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(1_800_000);
    // The name stays, and the same hello under it still works.
    expect((await third.hello('alice3', alice.token)).user.name).toBe('alice3');
  });
});
