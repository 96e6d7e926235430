/**
 * What the version-1 additions of issue 12 change for the client, through
 * ChatClient over a fake socket (docs/protocol.md, "The error frame", "rooms",
 * "members", "joined"): refusals wait the server's `retryAfterMs` and reach
 * the request they name (`error.request`); answers that echo their search and
 * page are matched by it; a big room's `joined` seeds the members panel.
 * Without these fields (an older server) the behaviour is the one tested in
 * reads.test.ts, joins.test.ts and outboxPump.test.ts.
 */
import type { ErrorMessage, User } from '@tether/protocol';
import { beforeAll, describe, expect, it, vi } from 'vitest';

import { setupClient } from '../test/clientHarness';
import { FAKE_NOW, fakeTimersEachTest } from '../test/fakes';
import { alice, joinedFrame, range, welcomeFrame } from '../test/frames';
import { ROOMS_PAGE_SIZE } from './directory';
import { MEMBERS_PAGE_SIZE } from './memberPager';
import { loadNameRules } from './text';

fakeTimersEachTest(FAKE_NOW);
beforeAll(() => loadNameRules());

function limited(request: string, retryAfterMs: number, extra: Partial<ErrorMessage> = {}): ErrorMessage {
  return { type: 'error', code: 'rate_limited', message: 'slow down', request, retryAfterMs, ...extra };
}

function users(count: number, from = 0): User[] {
  return Array.from({ length: count }, (_, i) => ({ id: `u_${from + i}`, name: `user${from + i}` }));
}

const rooms = (...names: string[]) => names.map((name) => ({ name, members: 1, seq: 0 }));

describe('issue 12 additions', () => {
  describe('retryAfterMs', () => {
    // random() = 0: no jitter, so the server's wait is the whole wait.
    it('holds a rate-limited send until the server said, then resends it with its id', () => {
      const h = setupClient({ random: () => 0 });
      const socket = h.signIn();
      const id = h.mustSend('general', 'hello');
      socket.deliver(limited('send', 4000, { id, room: 'general' }));
      vi.advanceTimersByTime(4000);
      expect(socket.framesOf('send')).toHaveLength(1);
      // Then the bucket refills as usual: one send's worth at 10 a second.
      vi.advanceTimersByTime(100);
      expect(socket.framesOf('send').map((frame) => frame.id)).toEqual([id, id]);
    });

    it('joins a refused room again when the server said, not on its own doubling pause', () => {
      const h = setupClient({ random: () => 0 });
      const socket = h.signIn();
      h.client.join('random');
      socket.deliver(limited('join', 250, { room: 'random' }));
      vi.advanceTimersByTime(249);
      expect(socket.framesOf('join')).toHaveLength(1);
      vi.advanceTimersByTime(1);
      expect(socket.framesOf('join')).toHaveLength(2);
      // Refused again: the server's word again, not a doubled guess.
      socket.deliver(limited('join', 6000, { room: 'random' }));
      vi.advanceTimersByTime(5999);
      expect(socket.framesOf('join')).toHaveLength(2);
    });

    it('reads history again when the server said', () => {
      const h = setupClient({ random: () => 0 });
      const socket = h.signIn();
      socket.deliver(joinedFrame('general', range('general', 51, 100), { hasMore: true }));
      h.client.loadOlder('general');
      socket.deliver(limited('history', 3000, { room: 'general' }));
      vi.advanceTimersByTime(2999);
      expect(socket.framesOf('history')).toHaveLength(1);
      vi.advanceTimersByTime(1);
      expect(socket.framesOf('history')).toHaveLength(2);
      expect(h.state.rooms.byName.get('general')?.loadingOlder).toBe(true);
    });

    it('asks the directory again when the server said', () => {
      const h = setupClient({ random: () => 0 });
      const socket = h.signIn();
      h.client.listRooms();
      socket.deliver(limited('rooms', 2500));
      expect(h.state.directory.loading).toBe(true);
      vi.advanceTimersByTime(2499);
      expect(socket.framesOf('rooms')).toHaveLength(1);
      vi.advanceTimersByTime(1);
      expect(socket.framesOf('rooms')).toHaveLength(2);
    });
  });

  describe('error.request', () => {
    it('takes a refused typing signal for nothing, not for the read of the same room on its way', () => {
      const h = setupClient();
      const socket = h.signIn();
      socket.deliver(joinedFrame('general', range('general', 51, 100), { hasMore: true }));
      h.client.loadOlder('general');
      socket.deliver({
        type: 'error',
        code: 'not_in_room',
        message: 'no',
        request: 'typing',
        room: 'general',
      });
      expect(h.state.rooms.byName.get('general')?.loadingOlder).toBe(true);
      socket.deliver({ type: 'history', room: 'general', messages: range('general', 1, 50), hasMore: false });
      expect(h.messagesOf('general')).toHaveLength(100);
    });

    it('says a rename is over budget, with the wait, and stays who it was on the same connection', () => {
      const h = setupClient();
      h.signIn();
      h.client.setName('alicia');
      h.socket.open();
      h.client.listRooms(); // a rooms request could not take the hello's error: it is not welcomed yet
      h.socket.deliver(limited('hello', 120_000));
      expect(h.state.session).toMatchObject({
        user: alice,
        nameError: 'rate_limited',
        nameErrorWaitMs: 120_000,
        suggestedName: 'alicia',
      });
      expect(h.socket.framesOf('hello').at(-1)).toEqual({
        type: 'hello',
        v: 1,
        name: 'alice',
        token: 't_alice',
      });
      h.socket.deliver(welcomeFrame());
      expect(h.state.session).toMatchObject({ user: alice, nameError: 'rate_limited' });
      expect(h.state.connection.status.kind).toBe('open');
    });

    it("says a new user's name is over this network's budget and waits for the person", () => {
      const h = setupClient();
      h.startAs('alice').open();
      h.socket.deliver(limited('hello', 60_000));
      expect(h.state.session).toMatchObject({
        user: null,
        pendingName: null,
        nameError: 'rate_limited',
        nameErrorWaitMs: 60_000,
        suggestedName: 'alice',
      });
      h.socket.serverClose(4408);
      expect(h.state.connection.status).toEqual({ kind: 'idle' });
    });
  });

  describe('echoed prefix and after', () => {
    it("drops the directory's answer to an earlier keystroke's search, whatever order answers come in", () => {
      const h = setupClient();
      const socket = h.signIn();
      h.client.searchRooms('g');
      h.client.searchRooms('ge');
      // The answer to "ge" first, then the late one of "g".
      socket.deliver({ type: 'rooms', rooms: rooms('general'), hasMore: false, prefix: 'ge' });
      socket.deliver({ type: 'rooms', rooms: rooms('games', 'general'), hasMore: false, prefix: 'g' });
      expect(h.state.directory).toMatchObject({ prefix: 'ge', rooms: rooms('general'), loading: false });
    });

    it('matches a next page of the directory by its after', () => {
      const h = setupClient();
      const socket = h.signIn();
      h.client.listRooms();
      socket.deliver({ type: 'rooms', rooms: rooms('a', 'b'), hasMore: true });
      h.client.moreRooms();
      socket.deliver({ type: 'rooms', rooms: rooms('c'), hasMore: false, after: 'b' });
      expect(h.state.directory.rooms.map((room) => room.name)).toEqual(['a', 'b', 'c']);
      expect(socket.framesOf('rooms')).toEqual([
        { type: 'rooms', limit: ROOMS_PAGE_SIZE },
        { type: 'rooms', limit: ROOMS_PAGE_SIZE, after: 'b' },
      ]);
    });

    it("drops a member page of a search since replaced, by the answer's own prefix", () => {
      const h = setupClient();
      const socket = h.signIn();
      socket.deliver(joinedFrame('general', [], { members: users(20), memberCount: 900, membersNext: 'n0' }));
      h.client.searchMembers('general', 'a');
      h.client.searchMembers('general', 'al');
      socket.deliver({
        type: 'members',
        room: 'general',
        members: [alice],
        count: 900,
        hasMore: false,
        prefix: 'al',
      });
      socket.deliver({
        type: 'members',
        room: 'general',
        members: users(5),
        count: 900,
        hasMore: true,
        prefix: 'a',
      });
      expect(h.state.members.pagesByRoom.get('general')).toMatchObject({
        prefix: 'al',
        members: [alice],
        loading: false,
      });
    });
  });

  describe('joined.membersNext', () => {
    it("shows a big room's first page from joined, and Show more continues from membersNext", () => {
      const h = setupClient();
      const socket = h.signIn();
      socket.deliver(joinedFrame('general', [], { members: users(20), memberCount: 900, membersNext: 'n0' }));
      expect(h.state.members.pagesByRoom.get('general')).toMatchObject({
        prefix: '',
        hasMore: true,
        next: 'n0',
        loading: false,
      });
      // The panel opening asks for everyone: the join answered that already.
      h.client.searchMembers('general', '');
      expect(socket.framesOf('members')).toEqual([]);
      h.client.moreMembers('general');
      expect(socket.framesOf('members')).toEqual([
        { type: 'members', room: 'general', limit: MEMBERS_PAGE_SIZE, after: 'n0' },
      ]);
      socket.deliver({
        type: 'members',
        room: 'general',
        members: users(100, 20),
        count: 900,
        hasMore: true,
        next: 'n1',
        after: 'n0',
      });
      expect(h.state.members.pagesByRoom.get('general')?.members).toHaveLength(120);
    });

    it('asks for everyone again once a search was shown', () => {
      const h = setupClient();
      const socket = h.signIn();
      socket.deliver(joinedFrame('general', [], { members: users(20), memberCount: 900, membersNext: 'n0' }));
      h.client.searchMembers('general', 'us');
      h.client.searchMembers('general', '');
      expect(socket.framesOf('members')).toEqual([
        { type: 'members', room: 'general', limit: MEMBERS_PAGE_SIZE, prefix: 'us' },
        { type: 'members', room: 'general', limit: MEMBERS_PAGE_SIZE },
      ]);
    });
  });
});
