import type { RoomList, RoomSummary } from '@tether/protocol';
import { describe, expect, it } from 'vitest';

import { directoryFailed, directoryReceived, directoryRequested } from './directory';
import { initialChatState } from './store';
import type { ChatState } from './types';

function apply(state: ChatState, patch: Partial<ChatState> | null): ChatState {
  return patch ? { ...state, ...patch } : state;
}

function rooms(...names: string[]): RoomSummary[] {
  return names.map((name) => ({ name, members: 1, seq: 0 }));
}

function page(names: string[], hasMore: boolean): RoomList {
  return { type: 'rooms', rooms: rooms(...names), hasMore };
}

const names = (state: ChatState) => state.directory.rooms.map((room) => room.name);

describe('directory', () => {
  it('reads page after page, each extending the list', () => {
    let state = initialChatState();
    state = apply(state, directoryRequested(state, { prefix: '' }));
    expect(state.directory.loading).toBe(true);
    state = apply(state, directoryReceived(state, page(['a', 'b'], true), { prefix: '' }, 1, false));
    expect(state.directory).toMatchObject({ hasMore: true, loading: false, updatedAt: 1 });
    state = apply(state, directoryRequested(state, { prefix: '', after: 'b' }));
    state = apply(state, directoryReceived(state, page(['c'], false), { prefix: '', after: 'b' }, 2, false));
    expect(names(state)).toEqual(['a', 'b', 'c']);
    expect(state.directory.hasMore).toBe(false);
  });

  it('refreshes the first page without folding up the pages read after it', () => {
    let state = initialChatState();
    state = apply(state, directoryReceived(state, page(['a', 'b'], true), { prefix: '' }, 1, false));
    state = apply(
      state,
      directoryReceived(state, page(['c', 'd'], true), { prefix: '', after: 'b' }, 2, false),
    );
    // A room was created meanwhile: the first page now ends at "b".
    state = apply(state, directoryReceived(state, page(['a', 'aa'], true), { prefix: '' }, 3, false));
    expect(names(state)).toEqual(['a', 'aa', 'b', 'c', 'd']);
    expect(state.directory.hasMore).toBe(true);
    // Every room fits the first page now: the rest is gone.
    state = apply(state, directoryReceived(state, page(['a'], false), { prefix: '' }, 4, false));
    expect(names(state)).toEqual(['a']);
    expect(state.directory.hasMore).toBe(false);
  });

  it('starts a search from an empty list and drops answers to a search since replaced', () => {
    let state = initialChatState();
    state = apply(state, directoryReceived(state, page(['a', 'b'], true), { prefix: '' }, 1, false));
    state = apply(state, directoryRequested(state, { prefix: 'b' }));
    expect(state.directory).toMatchObject({ prefix: 'b', rooms: [], hasMore: false, loading: true });
    state = apply(state, directoryRequested(state, { prefix: 'bo' }));
    state = apply(state, directoryReceived(state, page(['b', 'bo'], false), { prefix: 'b' }, 2, true));
    expect(state.directory).toMatchObject({ prefix: 'bo', rooms: [], loading: true });
    state = apply(state, directoryReceived(state, page(['bo', 'books'], false), { prefix: 'bo' }, 3, false));
    expect(names(state)).toEqual(['bo', 'books']);
    expect(state.directory.loading).toBe(false);
  });

  it('says why a request failed and keeps the list', () => {
    let state = initialChatState();
    state = apply(state, directoryReceived(state, page(['a'], true), { prefix: '' }, 1, false));
    state = apply(state, directoryFailed(state, { prefix: '', after: 'a' }, 'rate_limited', false));
    expect(state.directory).toMatchObject({ error: 'rate_limited', loading: false });
    expect(names(state)).toEqual(['a']);
    state = apply(state, directoryRequested(state, { prefix: '', after: 'a' }));
    expect(state.directory.error).toBeNull();
  });
});
