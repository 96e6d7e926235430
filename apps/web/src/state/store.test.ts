import { describe, expect, it } from 'vitest';

import { createChatStateStore, initialChatState, resetChatStateStore } from './store';

describe('chat store', () => {
  it('starts idle with nothing in it', () => {
    const store = createChatStateStore();
    expect(store.getState()).toEqual(initialChatState());
    expect(store.getState().connection.status).toEqual({ kind: 'idle' });
  });

  it('takes initial slices and resets to the initial state', () => {
    const store = createChatStateStore({ outbox: { items: [], full: true } });
    expect(store.getState().outbox.full).toBe(true);
    resetChatStateStore(store);
    expect(store.getState()).toEqual(initialChatState());
  });

  it('gives each store its own state', () => {
    const a = createChatStateStore();
    const b = createChatStateStore();
    a.setState({ rooms: { order: ['x'], current: null, byName: new Map() } });
    expect(b.getState().rooms.order).toEqual([]);
  });
});
