import type { Joined, Message } from '@tether/protocol';
import { describe, expect, it } from 'vitest';

import { alice, bob, joinedFrame } from '../test/frames';
import { mergeMessages, NO_MESSAGES, sortedMessages } from './messages';
import {
  ackReceived,
  connectionLost,
  emptyRoom,
  joinedReceived,
  messageReceived,
  nextTypingExpiry,
  presenceReceived,
  roomAdded,
  roomRemoved,
  roomSelected,
  typingExpired,
  typingReceived,
} from './reducers';
import { initialChatState } from './store';
import type { ChatState } from './types';

const m = (room: string, seq: number, from = bob): Message => ({
  room,
  seq,
  ts: seq,
  id: `${from.id}${seq}`,
  from,
  text: 't',
});

function apply(state: ChatState, patch: Partial<ChatState> | null): ChatState {
  return patch ? { ...state, ...patch } : state;
}

function withRooms(...rooms: string[]): ChatState {
  let state = initialChatState();
  for (const room of rooms) state = apply(state, roomAdded(state, room));
  return apply(state, roomSelected(state, rooms[0] ?? null));
}

/** A joined frame with no members. */
function joined(room: string, messages: Message[], extra: Partial<Joined> = {}): Joined {
  return joinedFrame(room, messages, { members: [], ...extra });
}

describe('reducers', () => {
  it('adds a room once, in join order', () => {
    const state = withRooms('a', 'b');
    expect(state.rooms.order).toEqual(['a', 'b']);
    expect(roomAdded(state, 'a')).toBeNull();
  });

  it('removing the current room selects its neighbour and drops its data', () => {
    let state = withRooms('a', 'b', 'c');
    state = apply(state, roomSelected(state, 'b'));
    state = apply(state, joinedReceived(state, joined('b', [m('b', 1)]), alice.id));
    state = apply(state, {
      outbox: { items: [{ id: 'x', room: 'b', text: 't', createdAt: 1, state: 'sending' }], full: false },
    });
    state = apply(state, roomRemoved(state, 'b'));
    expect(state.rooms).toMatchObject({ order: ['a', 'c'], current: 'c' });
    expect(state.messages.byRoom.get('b')).toBeUndefined();
    expect(state.members.byRoom.get('b')).toBeUndefined();
    expect(state.outbox.items).toEqual([]);
  });

  it('a first join is not unread; a resume counts news from others', () => {
    let state = withRooms('a', 'b');
    state = apply(state, joinedReceived(state, joined('b', [m('b', 1), m('b', 2)]), alice.id));
    expect(state.rooms.byName.get('b')?.unread).toBe(0);
    state = apply(
      state,
      joinedReceived(state, joined('b', [m('b', 2), m('b', 3), m('b', 4, alice)]), alice.id),
    );
    expect(state.rooms.byName.get('b')?.unread).toBe(1);
  });

  it('ignores a joined for a room no longer held', () => {
    const state = withRooms('a');
    expect(joinedReceived(state, joined('gone', []), alice.id)).toBeNull();
  });

  it('keeps hasMore after a plain resume and takes the server one otherwise', () => {
    let state = withRooms('a');
    state = apply(state, joinedReceived(state, joined('a', [m('a', 51)], { hasMore: true }), null));
    state = apply(state, joinedReceived(state, joined('a', [m('a', 52)], { hasMore: false }), null));
    expect(state.rooms.byName.get('a')?.hasMore).toBe(true);
    state = apply(
      state,
      joinedReceived(state, joined('a', [m('a', 1)], { epoch: 'e2', hasMore: false }), null),
    );
    expect(state.rooms.byName.get('a')?.hasMore).toBe(false);
    expect(sortedMessages(state.messages.byRoom.get('a') ?? NO_MESSAGES).map((x) => x.seq)).toEqual([1]);
  });

  it('a duplicate message changes nothing', () => {
    let state = withRooms('a');
    state = apply(state, messageReceived(state, m('a', 1), alice.id));
    expect(messageReceived(state, m('a', 1), alice.id)).toBeNull();
  });

  it('our own message from another tab ends the shared outbox item', () => {
    let state = withRooms('a');
    state = apply(state, {
      outbox: { items: [{ id: 'c_1', room: 'a', text: 'hi', createdAt: 1, state: 'sending' }], full: false },
    });
    state = apply(state, messageReceived(state, { ...m('a', 1, alice), id: 'c_1' }, alice.id));
    expect(state.outbox.items).toEqual([]);
    expect(state.rooms.byName.get('a')?.unread).toBe(0);
  });

  it('an ack for an unknown id changes nothing', () => {
    const state = withRooms('a');
    expect(ackReceived(state, { type: 'ack', room: 'a', id: 'nope', seq: 1, ts: 1 }, alice)).toBeNull();
  });

  it('presence adds, renames and removes members', () => {
    let state = withRooms('a');
    state = apply(
      state,
      presenceReceived(state, { type: 'presence', room: 'a', user: bob, state: 'joined' }),
    );
    const renamed = { ...bob, name: 'robert' };
    state = apply(
      state,
      presenceReceived(state, { type: 'presence', room: 'a', user: renamed, state: 'joined' }),
    );
    expect(state.members.byRoom.get('a')).toEqual([renamed]);
    state = apply(state, presenceReceived(state, { type: 'presence', room: 'a', user: bob, state: 'left' }));
    expect(state.members.byRoom.get('a')).toEqual([]);
  });

  it('typing entries expire at their time and never include ourselves', () => {
    let state = withRooms('a');
    expect(typingReceived(state, { type: 'typing', room: 'a', user: alice }, alice.id, 10)).toBeNull();
    state = apply(state, typingReceived(state, { type: 'typing', room: 'a', user: bob }, alice.id, 10));
    expect(nextTypingExpiry(state)).toBe(10);
    expect(typingExpired(state, 9)).toBeNull();
    state = apply(state, typingExpired(state, 10));
    expect(state.typing.byRoom.size).toBe(0);
    expect(nextTypingExpiry(state)).toBeNull();
  });

  it('a lost connection marks rooms not joined and clears typing; twice changes nothing', () => {
    let state = withRooms('a');
    state = apply(state, joinedReceived(state, joined('a', []), null));
    state = apply(state, typingReceived(state, { type: 'typing', room: 'a', user: bob }, null, 10));
    state = apply(state, connectionLost(state));
    expect(state.rooms.byName.get('a')).toEqual({ ...emptyRoom('a'), epoch: 'e1', stream: 0 });
    expect(state.typing.byRoom.size).toBe(0);
    expect(connectionLost(state)).toBeNull();
  });

  it('selecting marks read; selecting the same read room changes nothing', () => {
    let state = withRooms('a', 'b');
    state = apply(state, joinedReceived(state, joined('b', []), null));
    state = apply(state, messageReceived(state, m('b', 1), alice.id));
    expect(state.rooms.byName.get('b')?.unread).toBe(1);
    state = apply(state, roomSelected(state, 'b'));
    expect(state.rooms.byName.get('b')?.unread).toBe(0);
    expect(roomSelected(state, 'b')).toBeNull();
    expect(roomSelected(state, 'nope')).toBeNull();
    expect(mergeMessages(state.messages.byRoom.get('b') ?? NO_MESSAGES, [])).toBe(
      state.messages.byRoom.get('b'),
    );
  });
});
