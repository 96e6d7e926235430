import { describe, expect, it, vi } from 'vitest';

import { systemTimers } from '../net/env';
import { MemoryStorage, fakeTimersEachTest, silentLog } from '../test/fakes';
import { ChatStorage, STORAGE_KEYS, bindPersistence, restoreState } from './persistence';
import { parseReadingPosition, readingPositionChanged } from './reading';
import { roomAdded, roomRemoved } from './reducers';
import { createChatStateStore, initialChatState } from './store';
import type { ChatState } from './types';

function apply(state: ChatState, patch: Partial<ChatState> | null): ChatState {
  return patch ? { ...state, ...patch } : state;
}

function withRooms(...rooms: string[]): ChatState {
  let state = initialChatState();
  for (const room of rooms) state = apply(state, roomAdded(state, room));
  return state;
}

describe('reading position', () => {
  it('is kept per room, and changes nothing when it is the same', () => {
    let state = withRooms('a', 'constructor');
    state = apply(state, readingPositionChanged(state, 'a', { kind: 'at', seq: 40, offset: 12 }));
    state = apply(state, readingPositionChanged(state, 'constructor', { kind: 'bottom' }));
    expect(state.reading.byRoom.get('a')).toEqual({ kind: 'at', seq: 40, offset: 12 });
    expect(state.reading.byRoom.get('constructor')).toEqual({ kind: 'bottom' });
    expect(readingPositionChanged(state, 'a', { kind: 'at', seq: 40, offset: 12 })).toBeNull();
    expect(readingPositionChanged(state, 'constructor', { kind: 'bottom' })).toBeNull();
    expect(readingPositionChanged(state, 'a', { kind: 'at', seq: 40, offset: 13 })).not.toBeNull();
  });

  it('is not kept for a room not joined, and goes with the room', () => {
    let state = withRooms('a');
    expect(readingPositionChanged(state, 'b', { kind: 'bottom' })).toBeNull();
    state = apply(state, readingPositionChanged(state, 'a', { kind: 'bottom' }));
    state = apply(state, roomRemoved(state, 'a'));
    expect(state.reading.byRoom.has('a')).toBe(false);
  });

  it('reads back only well-formed positions', () => {
    expect(parseReadingPosition({ kind: 'bottom' })).toEqual({ kind: 'bottom' });
    expect(parseReadingPosition({ kind: 'at', seq: 3, offset: -20 })).toEqual({
      kind: 'at',
      seq: 3,
      offset: -20,
    });
    for (const bad of [
      null,
      'bottom',
      { kind: 'at', seq: 0, offset: 0 },
      { kind: 'at', seq: 1.5, offset: 0 },
      { kind: 'at', seq: '3', offset: 0 },
      { kind: 'at', seq: 3, offset: Infinity },
      { kind: 'at', seq: 3 },
      { kind: 'top' },
    ])
      expect(parseReadingPosition(bad)).toBeNull();
  });

  describe('across a reload', () => {
    fakeTimersEachTest();

    it('is written with the rooms, throttled, and restored', () => {
      const raw = new MemoryStorage();
      const storage = new ChatStorage(raw, silentLog);
      const store = createChatStateStore();
      const binding = bindPersistence(store, storage, systemTimers, 500);
      store.setState(withRooms('a', 'constructor', 'b'));
      vi.advanceTimersByTime(500);

      const update = (room: string, seq: number) => {
        const patch = readingPositionChanged(store.getState(), room, { kind: 'at', seq, offset: 8 });
        if (patch) store.setState(patch);
      };
      const writes = vi.spyOn(storage, 'saveRooms');
      for (let seq = 1; seq <= 50; seq++) update('a', seq);
      update('constructor', 7);
      const patch = readingPositionChanged(store.getState(), 'b', { kind: 'bottom' });
      if (patch) store.setState(patch);
      expect(writes).not.toHaveBeenCalled();
      vi.advanceTimersByTime(500);
      expect(writes).toHaveBeenCalledTimes(1);
      binding.dispose();

      const written = JSON.parse(raw.getItem(STORAGE_KEYS.rooms) ?? '') as {
        data: { rooms: Record<string, { position?: unknown }> };
      };
      expect(written.data.rooms.a?.position).toEqual({ kind: 'at', seq: 50, offset: 8 });
      const { state } = restoreState(new ChatStorage(raw, silentLog));
      expect(state.reading?.byRoom).toEqual(
        new Map([
          ['a', { kind: 'at', seq: 50, offset: 8 }],
          ['constructor', { kind: 'at', seq: 7, offset: 8 }],
          ['b', { kind: 'bottom' }],
        ]),
      );
    });

    it('restores rooms stored before positions were, with none', () => {
      const raw = new MemoryStorage();
      raw.setItem(
        STORAGE_KEYS.rooms,
        '{"v":1,"data":{"order":["a"],"rooms":{"a":{"seq":4,"position":{"kind":"up"}}}}}',
      );
      const { state } = restoreState(new ChatStorage(raw, silentLog));
      expect(state.rooms?.order).toEqual(['a']);
      expect(state.reading?.byRoom.size).toBe(0);
    });
  });
});
