/**
 * The app's one zustand store, vanilla so that `ChatClient` (no React) owns and
 * writes it; React reads it through the hooks in src/hooks. Named for the chat
 * *state*: the server's storage port is the `ChatStore`.
 */
import { createStore } from 'zustand/vanilla';
import type { StoreApi } from 'zustand/vanilla';

import type { ChatState } from './types';

export type ChatStateStore = StoreApi<ChatState>;

/** A fresh state: nothing restored, nothing connected. */
export function initialChatState(): ChatState {
  return {
    connection: { status: { kind: 'idle' }, rttMs: null },
    session: {
      user: null,
      pendingName: null,
      nameError: null,
      nameErrorWaitMs: null,
      suggestedName: null,
      changes: false,
    },
    rooms: { order: [], byName: new Map(), current: null },
    messages: { byRoom: new Map() },
    outbox: { items: [], full: false },
    members: { byRoom: new Map(), rosterByRoom: new Map(), pagesByRoom: new Map() },
    typing: { byRoom: new Map() },
    directory: { rooms: [], prefix: '', hasMore: false, loading: false, updatedAt: null, error: null },
    reading: { byRoom: new Map() },
  };
}

export function createChatStateStore(initial: Partial<ChatState> = {}): ChatStateStore {
  return createStore<ChatState>()(() => ({ ...initialChatState(), ...initial }));
}

/** Back to the initial state, replacing every slice (tests; sign-out). */
export function resetChatStateStore(store: ChatStateStore): void {
  store.setState(initialChatState(), true);
}
