import { describe, expect, it } from 'vitest';

import { createChatStore, initialChatState, resetChatStore } from './store';

describe('chat store', () => {
  it('starts idle with nothing in it', () => {
    const store = createChatStore();
    expect(store.getState()).toEqual(initialChatState());
    expect(store.getState().connection.status).toEqual({ kind: 'idle' });
  });

  it('takes initial slices and resets to the initial state', () => {
    const store = createChatStore({ outbox: { items: [], full: true } });
    expect(store.getState().outbox.full).toBe(true);
    resetChatStore(store);
    expect(store.getState()).toEqual(initialChatState());
  });

  it('gives each store its own state', () => {
    const a = createChatStore();
    const b = createChatStore();
    a.setState({ rooms: { order: ['x'], current: null, byName: {} } });
    expect(b.getState().rooms.order).toEqual([]);
  });
});
