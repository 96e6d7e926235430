/**
 * The reads through ChatClient, over a fake socket: the rooms directory by
 * pages and by search, a big room's members by pages and by search, and the
 * `rate_limited` refusals of reads (tried once more after a pause, never in
 * a loop). The reducers' own cases are in state/members.test.ts and
 * state/directory.test.ts.
 */
import type { User } from '@tether/protocol';
import { describe, expect, it, vi } from 'vitest';

import { setupClient } from '../test/clientHarness';
import { FAKE_NOW, fakeTimersEachTest } from '../test/fakes';
import { joinedFrame, range } from '../test/frames';
import { ROOMS_PAGE_SIZE, roomPrefix } from './directory';
import { MEMBERS_PAGE_SIZE, memberPrefix } from './memberPager';

fakeTimersEachTest(FAKE_NOW);

/** Longer than a refused read's pause (1 s plus up to half of it). */
const PAUSE = 1500;

const limited = (room?: string) => ({
  type: 'error' as const,
  code: 'rate_limited' as const,
  message: 'too many reads; slow down',
  ...(room === undefined ? {} : { room }),
});

function users(count: number, from = 0): User[] {
  return Array.from({ length: count }, (_, i) => ({ id: `u_${from + i}`, name: `user${from + i}` }));
}

const rooms = (...names: string[]) => names.map((name) => ({ name, members: 1, seq: 0 }));

describe('reads', () => {
  describe('the rooms directory', () => {
    it('asks a first page, then the next after the last name, then a search', () => {
      const h = setupClient();
      const socket = h.signIn();
      h.client.listRooms();
      socket.deliver({ type: 'rooms', rooms: rooms('a', 'b'), hasMore: true });
      h.client.moreRooms();
      // Asked twice while the first is on its way: once.
      h.client.moreRooms();
      socket.deliver({ type: 'rooms', rooms: rooms('c'), hasMore: false });
      h.client.moreRooms();
      h.client.searchRooms('  #Bo ');
      expect(socket.framesOf('rooms')).toEqual([
        { type: 'rooms', limit: ROOMS_PAGE_SIZE },
        { type: 'rooms', limit: ROOMS_PAGE_SIZE, after: 'b' },
        { type: 'rooms', limit: ROOMS_PAGE_SIZE, prefix: 'bo' },
      ]);
      expect(h.state.directory).toMatchObject({ prefix: 'bo', rooms: [], loading: true });
      socket.deliver({ type: 'rooms', rooms: rooms('books'), hasMore: false });
      expect(h.state.directory).toMatchObject({ prefix: 'bo', rooms: rooms('books'), loading: false });
    });

    it('refreshes the current search, not the whole list', () => {
      const h = setupClient();
      const socket = h.signIn();
      h.client.searchRooms('bo');
      socket.deliver({ type: 'rooms', rooms: rooms('books'), hasMore: false });
      socket.clearSent();
      h.client.listRooms();
      expect(socket.framesOf('rooms')).toEqual([{ type: 'rooms', limit: ROOMS_PAGE_SIZE, prefix: 'bo' }]);
    });

    it('keeps a search typed offline and asks it once connected', () => {
      const h = setupClient();
      const socket = h.signIn();
      socket.serverClose(1006);
      h.client.searchRooms('bo');
      expect(h.state.directory).toMatchObject({ prefix: 'bo', loading: false });
      const next = h.reconnect();
      h.client.listRooms();
      expect(next.framesOf('rooms')).toEqual([{ type: 'rooms', limit: ROOMS_PAGE_SIZE, prefix: 'bo' }]);
    });

    it('tries a refused page once more after a pause, then shows why', () => {
      const h = setupClient();
      const socket = h.signIn();
      h.client.listRooms();
      socket.deliver(limited());
      expect(h.state.directory).toMatchObject({ loading: true, error: null });
      vi.advanceTimersByTime(999);
      expect(socket.framesOf('rooms')).toHaveLength(1);
      vi.advanceTimersByTime(PAUSE);
      expect(socket.framesOf('rooms')).toHaveLength(2);
      socket.deliver(limited());
      expect(h.state.directory).toMatchObject({ loading: false, error: 'rate_limited' });
      vi.advanceTimersByTime(5 * PAUSE);
      expect(socket.framesOf('rooms')).toHaveLength(2);
      // The person's "Retry": the same first page.
      h.client.moreRooms();
      expect(socket.framesOf('rooms')).toHaveLength(3);
    });

    it('makes a search a room-name prefix', () => {
      expect(roomPrefix(' #Random Stuff! ')).toBe('random-stuff');
      expect(roomPrefix('x'.repeat(40))).toHaveLength(32);
    });
  });

  describe("a big room's members", () => {
    function inBigRoom() {
      const h = setupClient();
      const socket = h.signIn();
      socket.deliver(
        joinedFrame('general', range('general', 1, 2), { members: users(100), memberCount: 520 }),
      );
      socket.clearSent();
      return { h, socket };
    }

    it('pages through the members and searches them', () => {
      const { h, socket } = inBigRoom();
      h.client.searchMembers('general', '');
      socket.deliver({
        type: 'members',
        room: 'general',
        members: users(100),
        count: 520,
        hasMore: true,
        next: 'n1',
      });
      h.client.moreMembers('general');
      h.client.moreMembers('general');
      socket.deliver({
        type: 'members',
        room: 'general',
        members: users(100, 100),
        count: 521,
        hasMore: true,
        next: 'n2',
      });
      expect(h.state.members.pagesByRoom.get('general')?.members).toHaveLength(200);
      expect(h.state.members.rosterByRoom.get('general')).toEqual({ count: 521, complete: false });
      h.client.searchMembers('general', '  Al');
      expect(socket.framesOf('members')).toEqual([
        { type: 'members', room: 'general', limit: MEMBERS_PAGE_SIZE },
        { type: 'members', room: 'general', limit: MEMBERS_PAGE_SIZE, after: 'n1' },
        { type: 'members', room: 'general', limit: MEMBERS_PAGE_SIZE, prefix: 'Al' },
      ]);
      socket.deliver({
        type: 'members',
        room: 'general',
        members: [{ id: 'u_al', name: 'alice' }],
        count: 521,
        hasMore: false,
      });
      expect(h.state.members.pagesByRoom.get('general')).toMatchObject({
        prefix: 'Al',
        hasMore: false,
        loading: false,
      });
    });

    it('does not ask for a room that is not joined on this connection', () => {
      const h = setupClient();
      const socket = h.signIn();
      h.client.join('random');
      h.client.searchMembers('random', '');
      expect(socket.framesOf('members')).toEqual([]);
    });

    it('tries a refused page once more after a pause; a history read waiting too keeps its place', () => {
      const { h, socket } = inBigRoom();
      socket.deliver(
        joinedFrame('general', range('general', 51, 100), {
          hasMore: true,
          members: users(100),
          memberCount: 520,
        }),
      );
      h.client.loadOlder('general');
      h.client.searchMembers('general', '');
      // The history read is the older one: the first error is its.
      socket.deliver({ type: 'history', room: 'general', messages: range('general', 1, 50), hasMore: false });
      socket.deliver(limited('general'));
      expect(h.state.members.pagesByRoom.get('general')?.loading).toBe(true);
      vi.advanceTimersByTime(PAUSE);
      expect(socket.framesOf('members')).toHaveLength(2);
      socket.deliver(limited('general'));
      expect(h.state.members.pagesByRoom.get('general')).toMatchObject({
        loading: false,
        error: 'rate_limited',
      });
      expect(h.state.rooms.byName.get('general')?.error).toBeNull();
      h.client.moreMembers('general');
      expect(socket.framesOf('members')).toHaveLength(3);
    });

    it('cuts a search at 64 units, never inside a character', () => {
      expect(memberPrefix(`${'a'.repeat(63)}😀`)).toBe('a'.repeat(63));
      expect(memberPrefix('  bob')).toBe('bob');
    });
  });

  describe('history', () => {
    it('tries a refused page once more after a pause, then leaves it to the person', () => {
      const h = setupClient();
      const socket = h.signIn();
      socket.deliver(joinedFrame('general', range('general', 51, 100), { hasMore: true }));
      h.client.loadOlder('general');
      socket.deliver(limited('general'));
      expect(h.state.rooms.byName.get('general')).toMatchObject({ loadingOlder: true, error: null });
      vi.advanceTimersByTime(PAUSE);
      expect(socket.framesOf('history')).toHaveLength(2);
      socket.deliver(limited('general'));
      expect(h.state.rooms.byName.get('general')).toMatchObject({
        loadingOlder: false,
        error: null,
        joined: true,
      });
      vi.advanceTimersByTime(5 * PAUSE);
      expect(socket.framesOf('history')).toHaveLength(2);
      expect(h.client.loadOlder('general')).toBe(true);
    });

    it('forgets a retry when the connection is lost', () => {
      const h = setupClient({ random: () => 0 });
      const socket = h.signIn();
      socket.deliver(joinedFrame('general', range('general', 51, 100), { hasMore: true }));
      h.client.loadOlder('general');
      socket.deliver(limited('general'));
      socket.serverClose(1006);
      const next = h.reconnect([joinedFrame('general', range('general', 51, 100), { hasMore: true })]);
      vi.advanceTimersByTime(PAUSE);
      expect(next.framesOf('history')).toEqual([]);
    });
  });
});
