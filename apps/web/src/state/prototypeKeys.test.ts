/**
 * Rooms and people named like the properties every plain object inherits. A
 * room named `constructor` once crashed the app ("e is not iterable": the
 * members of room "constructor" were `Object`), and kept crashing it after a
 * reload. Only `constructor` is a valid room name on the wire; the others
 * reach the state only through a bug or a hostile server, and must not
 * matter either.
 */
import type { Message, User } from '@tether/protocol';
import { describe, expect, it } from 'vitest';

import { MemoryStorage, silentLog } from '../test/fakes';
import { alice, joinedFrame } from '../test/frames';
import { memberPageReceived, memberPagesRequested, rosterReceived } from './members';
import { mergeMessages, NO_MESSAGES, sortedMessages } from './messages';
import { ChatStorage, restoreState } from './persistence';
import {
  connectionLost,
  joinedReceived,
  messageReceived,
  presenceReceived,
  roomAdded,
  roomRemoved,
  roomSelected,
  typingExpired,
  typingReceived,
} from './reducers';
import { renamedReceived } from './renames';
import { roomViews, typingNames } from './selectors';
import { initialChatState } from './store';
import type { ChatState } from './types';

const KEYS = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'];

function apply(state: ChatState, patch: Partial<ChatState> | null): ChatState {
  return patch ? { ...state, ...patch } : state;
}

/** A person whose id and name are `key` too. */
function person(key: string): User {
  return { id: key, name: key };
}

function message(room: string, seq: number, from: User): Message {
  return { room, seq, ts: seq, id: `m${seq}`, from, text: `${room} ${seq}` };
}

describe('rooms and people named like Object.prototype properties', () => {
  it('holds, shows and leaves each room like any other', () => {
    let state = initialChatState();
    for (const room of KEYS) {
      // Before anything is held: nothing inherited answers for the room.
      expect(state.rooms.byName.get(room)).toBeUndefined();
      expect(state.members.byRoom.get(room)).toBeUndefined();
      state = apply(state, roomAdded(state, room));
    }
    expect(state.rooms.order).toEqual(KEYS);

    for (const room of KEYS) {
      const other = person(room);
      state = apply(state, roomSelected(state, room));
      state = apply(state, joinedReceived(state, joinedFrame(room, [message(room, 1, other)]), alice.id));
      state = apply(state, messageReceived(state, message(room, 2, other), alice.id));
      state = apply(
        state,
        presenceReceived(state, { type: 'presence', room, user: person('valueOf'), state: 'joined' }),
      );
      state = apply(state, typingReceived(state, { type: 'typing', room, user: other }, alice.id, 10));
    }
    for (const room of KEYS) {
      expect(state.rooms.byName.get(room)).toMatchObject({ name: room, joined: true, seq: 2 });
      expect(sortedMessages(state.messages.byRoom.get(room) ?? NO_MESSAGES).map((m) => m.text)).toEqual([
        `${room} 1`,
        `${room} 2`,
      ]);
      expect(state.members.byRoom.get(room)?.map((m) => m.id)).toContain('valueOf');
      expect(typingNames(state.typing, room, alice.id)).toEqual([room]);
    }
    expect(roomViews(state.rooms.order, state.rooms.byName).map((v) => v.name)).toEqual(KEYS);

    state = apply(state, renamedReceived(state, { id: 'valueOf', name: 'renamed' }));
    expect(state.members.byRoom.get('toString')?.find((m) => m.id === 'valueOf')?.name).toBe('renamed');
    state = apply(state, typingExpired(state, 11));
    expect(state.typing.byRoom.size).toBe(0);
    state = apply(state, connectionLost(state));
    expect(state.rooms.byName.get('constructor')?.joined).toBe(false);

    for (const room of KEYS) state = apply(state, roomRemoved(state, room));
    expect(state.rooms.order).toEqual([]);
    expect(state.rooms.byName.size).toBe(0);
    expect(state.messages.byRoom.size).toBe(0);
    expect(state.members.byRoom.size).toBe(0);
  });

  it('pages the members of a big room named constructor', () => {
    let state = initialChatState();
    state = apply(state, roomAdded(state, 'constructor'));
    const joined = joinedFrame('constructor', [], { members: [alice], memberCount: 900 });
    state = apply(state, joinedReceived(state, joined, alice.id));
    state = apply(state, rosterReceived(state, { type: 'roster', room: 'constructor', count: 901 }));
    state = apply(state, memberPagesRequested(state, 'constructor', { prefix: '' }));
    const page = {
      type: 'members' as const,
      room: 'constructor',
      members: [person('__proto__')],
      count: 901,
      hasMore: false,
    };
    state = apply(state, memberPageReceived(state, page, { prefix: '' }));
    expect(state.members.pagesByRoom.get('constructor')?.members).toEqual([person('__proto__')]);
    expect(state.members.rosterByRoom.get('constructor')).toEqual({ count: 901, complete: false });
  });

  it('restores a room named constructor after a reload, and ignores inherited keys in storage', () => {
    const raw = new MemoryStorage();
    const storage = new ChatStorage(raw, silentLog);
    let state = initialChatState();
    state = apply(state, roomAdded(state, 'constructor'));
    state = apply(state, roomSelected(state, 'constructor'));
    storage.saveRooms(state.rooms);
    storage.saveMessages('constructor', mergeMessages(NO_MESSAGES, [message('constructor', 1, alice)]));

    const restored = restoreState(new ChatStorage(raw, silentLog)).state;
    expect(restored.rooms?.order).toEqual(['constructor']);
    expect(restored.rooms?.current).toBe('constructor');
    expect(restored.rooms?.byName.get('constructor')?.name).toBe('constructor');
    expect(restored.messages?.byRoom.get('constructor')?.[1]?.text).toBe('constructor 1');

    // A stored list that names rooms its record has no entry for: each gets
    // a fresh record, never whatever `{}[name]` inherits.
    raw.setItem(
      'tether:rooms',
      JSON.stringify({
        v: 1,
        data: { order: ['constructor', 'valueof'], current: 'constructor', rooms: {} },
      }),
    );
    const bare = restoreState(new ChatStorage(raw, silentLog)).state;
    expect(bare.rooms?.byName.get('constructor')).toMatchObject({
      name: 'constructor',
      epoch: null,
      unread: 0,
    });
  });
});
