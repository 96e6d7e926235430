import type { User } from '@tether/protocol';
import { describe, expect, it } from 'vitest';

import { alice, bob, joinedFrame } from '../test/frames';
import {
  memberPageReceived,
  memberPagesFailed,
  memberPagesRequested,
  membersJoined,
  rosterReceived,
} from './members';
import { connectionLost, joinedReceived, presenceReceived, roomAdded, roomRemoved } from './reducers';
import { initialChatState } from './store';
import type { ChatState } from './types';

function apply(state: ChatState, patch: Partial<ChatState> | null): ChatState {
  return patch ? { ...state, ...patch } : state;
}

const carol: User = { id: 'u_carol', name: 'carol' };

function users(count: number, from = 0): User[] {
  return Array.from({ length: count }, (_, i) => ({ id: `u_${from + i}`, name: `user${from + i}` }));
}

/** In room `a`, joined with `members` of `memberCount`. */
function inRoom(members: User[], memberCount?: number): ChatState {
  let state = initialChatState();
  state = apply(state, roomAdded(state, 'a'));
  const extra = memberCount === undefined ? { members } : { members, memberCount };
  return apply(state, joinedReceived(state, joinedFrame('a', [], extra), alice.id));
}

describe('members', () => {
  describe('joined', () => {
    it('keeps a small room whole: the count is the list', () => {
      const state = inRoom([alice, bob], 2);
      expect(state.members.byRoom.get('a')).toEqual([alice, bob]);
      expect(state.members.rosterByRoom.get('a')).toEqual({ count: 2, complete: true });
    });

    it('takes a list without memberCount (an older server) as complete', () => {
      const state = inRoom([alice, bob]);
      expect(state.members.rosterByRoom.get('a')).toEqual({ count: 2, complete: true });
    });

    it('marks a big room partial: the first page, and the count beyond it', () => {
      const state = inRoom(users(100), 5012);
      expect(state.members.byRoom.get('a')).toHaveLength(100);
      expect(state.members.rosterByRoom.get('a')).toEqual({ count: 5012, complete: false });
    });

    it('keeps the pages of a big room across a resume, drops them when it is small again', () => {
      let state = inRoom(users(100), 600);
      state = apply(state, memberPagesRequested(state, 'a', { prefix: '' }));
      expect(state.members.pagesByRoom.get('a')).toBeDefined();
      state = {
        ...state,
        members: membersJoined(
          state.members,
          joinedFrame('a', [], { members: users(100), memberCount: 601 }),
        ),
      };
      expect(state.members.pagesByRoom.get('a')).toBeDefined();
      state = {
        ...state,
        members: membersJoined(state.members, joinedFrame('a', [], { members: users(3), memberCount: 3 })),
      };
      expect(state.members.pagesByRoom.get('a')).toBeUndefined();
      expect(state.members.rosterByRoom.get('a')).toEqual({ count: 3, complete: true });
    });
  });

  describe('presence', () => {
    it('keeps the count of a small room with its list', () => {
      let state = inRoom([alice, bob], 2);
      state = apply(
        state,
        presenceReceived(state, { type: 'presence', room: 'a', user: carol, state: 'joined' }),
      );
      expect(state.members.rosterByRoom.get('a')).toEqual({ count: 3, complete: true });
      state = apply(
        state,
        presenceReceived(state, { type: 'presence', room: 'a', user: bob, state: 'left' }),
      );
      expect(state.members.byRoom.get('a')).toEqual([alice, carol]);
      expect(state.members.rosterByRoom.get('a')).toEqual({ count: 2, complete: true });
    });

    it('changes nothing in a big room (its list is a page, not a live record)', () => {
      const state = inRoom(users(100), 700);
      expect(
        presenceReceived(state, { type: 'presence', room: 'a', user: carol, state: 'joined' }),
      ).toBeNull();
    });
  });

  describe('roster', () => {
    it('follows the count of a big room', () => {
      let state = inRoom(users(100), 700);
      state = apply(state, rosterReceived(state, { type: 'roster', room: 'a', count: 712 }));
      expect(state.members.rosterByRoom.get('a')).toEqual({ count: 712, complete: false });
      expect(state.members.byRoom.get('a')).toHaveLength(100);
      expect(rosterReceived(state, { type: 'roster', room: 'a', count: 712 })).toBeNull();
    });

    it('makes a small room big when it comes without members; presence then stops counting', () => {
      let state = inRoom([alice, bob], 2);
      state = apply(state, rosterReceived(state, { type: 'roster', room: 'a', count: 501 }));
      expect(state.members.rosterByRoom.get('a')).toEqual({ count: 501, complete: false });
      expect(
        presenceReceived(state, { type: 'presence', room: 'a', user: carol, state: 'joined' }),
      ).toBeNull();
    });

    it('with members, replaces the list and the room is small again', () => {
      let state = inRoom(users(100), 700);
      state = apply(state, memberPagesRequested(state, 'a', { prefix: 'us' }));
      const everyone = users(400);
      state = apply(
        state,
        rosterReceived(state, { type: 'roster', room: 'a', count: 400, members: everyone }),
      );
      expect(state.members.byRoom.get('a')).toEqual(everyone);
      expect(state.members.rosterByRoom.get('a')).toEqual({ count: 400, complete: true });
      expect(state.members.pagesByRoom.get('a')).toBeUndefined();
      state = apply(
        state,
        presenceReceived(state, { type: 'presence', room: 'a', user: carol, state: 'joined' }),
      );
      expect(state.members.rosterByRoom.get('a')).toEqual({ count: 401, complete: true });
    });

    it('is ignored for a room we are not in', () => {
      const state = inRoom([alice], 1);
      expect(rosterReceived(state, { type: 'roster', room: 'b', count: 9 })).toBeNull();
    });
  });

  describe('pages', () => {
    const page = (members: User[], hasMore: boolean, next?: string) => ({
      type: 'members' as const,
      room: 'a',
      members,
      count: 700,
      hasMore,
      ...(next === undefined ? {} : { next }),
    });

    it('reads page after page of a search, each extending the list', () => {
      let state = inRoom(users(100), 690);
      state = apply(state, memberPagesRequested(state, 'a', { prefix: '' }));
      expect(state.members.pagesByRoom.get('a')).toMatchObject({ prefix: '', members: [], loading: true });
      state = apply(state, memberPageReceived(state, page(users(100), true, 'c1'), { prefix: '' }));
      expect(state.members.pagesByRoom.get('a')).toMatchObject({ hasMore: true, next: 'c1', loading: false });
      // The answer's count is the room's: 700 now.
      expect(state.members.rosterByRoom.get('a')).toEqual({ count: 700, complete: false });

      state = apply(state, memberPagesRequested(state, 'a', { prefix: '', after: 'c1' }));
      expect(state.members.pagesByRoom.get('a')?.members).toHaveLength(100);
      state = apply(
        state,
        memberPageReceived(state, page(users(100, 100), false), { prefix: '', after: 'c1' }),
      );
      expect(state.members.pagesByRoom.get('a')).toMatchObject({
        hasMore: false,
        next: null,
        loading: false,
      });
      expect(state.members.pagesByRoom.get('a')?.members.map((u) => u.id)).toEqual(
        users(200).map((u) => u.id),
      );
    });

    it('starts a new search empty, and drops the answer to one since replaced', () => {
      let state = inRoom(users(100), 700);
      state = apply(state, memberPagesRequested(state, 'a', { prefix: '' }));
      state = apply(state, memberPageReceived(state, page(users(100), true, 'c1'), { prefix: '' }));
      state = apply(state, memberPagesRequested(state, 'a', { prefix: 'u' }));
      state = apply(state, memberPagesRequested(state, 'a', { prefix: 'us' }));
      expect(state.members.pagesByRoom.get('a')).toMatchObject({ prefix: 'us', members: [], loading: true });
      state = apply(state, memberPageReceived(state, page(users(5), false), { prefix: 'u' }));
      expect(state.members.pagesByRoom.get('a')).toMatchObject({ prefix: 'us', members: [], loading: true });
      state = apply(state, memberPageReceived(state, page(users(3), false), { prefix: 'us' }));
      expect(state.members.pagesByRoom.get('a')).toMatchObject({
        prefix: 'us',
        members: users(3),
        loading: false,
      });
    });

    it('lists a member moved between two pages once', () => {
      let state = inRoom(users(100), 700);
      state = apply(state, memberPagesRequested(state, 'a', { prefix: '' }));
      state = apply(state, memberPageReceived(state, page(users(2), true, 'c1'), { prefix: '' }));
      state = apply(state, memberPageReceived(state, page(users(3, 1), false), { prefix: '', after: 'c1' }));
      expect(state.members.pagesByRoom.get('a')?.members.map((u) => u.id)).toEqual([
        'u_0',
        'u_1',
        'u_2',
        'u_3',
      ]);
    });

    it('says why a page failed, until the next request', () => {
      let state = inRoom(users(100), 700);
      state = apply(state, memberPagesRequested(state, 'a', { prefix: '' }));
      state = apply(state, memberPagesFailed(state, 'a', { prefix: '' }, 'rate_limited'));
      expect(state.members.pagesByRoom.get('a')).toMatchObject({ loading: false, error: 'rate_limited' });
      state = apply(state, memberPagesRequested(state, 'a', { prefix: '' }));
      expect(state.members.pagesByRoom.get('a')).toMatchObject({ loading: true, error: null });
    });

    it('stops loading when the connection is lost, and goes with the room', () => {
      let state = inRoom(users(100), 700);
      state = apply(state, memberPagesRequested(state, 'a', { prefix: '' }));
      state = apply(state, connectionLost(state));
      expect(state.members.pagesByRoom.get('a')?.loading).toBe(false);
      state = apply(state, roomRemoved(state, 'a'));
      expect(state.members).toEqual({ byRoom: new Map(), rosterByRoom: new Map(), pagesByRoom: new Map() });
    });
  });
});
