import type { Message } from '@tether/protocol';
import { describe, expect, it, vi } from 'vitest';

import { systemTimers } from '../net/env';
import { MemoryStorage, fakeTimersEachTest, silentLog } from '../test/fakes';
import { bob } from '../test/frames';
import { mergeMessages, NO_MESSAGES } from './messages';
import { ChatStorage, STORAGE_KEYS, bindPersistence, restoreState } from './persistence';
import { emptyRoom } from './reducers';
import { createChatStateStore } from './store';
import type { OutboxItem } from './types';

function messages(room: string, first: number, last: number): Message[] {
  const list: Message[] = [];
  for (let seq = first; seq <= last; seq++)
    list.push({ room, seq, ts: seq, id: `m${seq}`, from: bob, text: 't' });
  return list;
}

const outboxItem: OutboxItem = { id: 'c_1', room: 'general', text: 'hi', createdAt: 5, state: 'sending' };

describe('ChatStorage', () => {
  it('round-trips the session, rooms, outbox and messages', () => {
    const storage = new ChatStorage(new MemoryStorage(), silentLog);
    storage.saveSession({ token: 't', user: bob, name: 'bob' });
    storage.saveRooms({
      order: ['general'],
      current: 'general',
      byName: new Map([
        ['general', { ...emptyRoom('general'), epoch: 'e1', seq: 9, unread: 2, hasMore: true }],
      ]),
    });
    storage.saveOutbox([outboxItem]);
    storage.saveMessages('general', mergeMessages(NO_MESSAGES, messages('general', 1, 3)));

    expect(storage.loadSession()).toEqual({ token: 't', user: bob, name: 'bob' });
    expect(storage.loadRooms()).toEqual({
      order: ['general'],
      current: 'general',
      rooms: new Map([['general', { epoch: 'e1', seq: 9, unread: 2, hasMore: true }]]),
    });
    expect(storage.loadOutbox()).toEqual([outboxItem]);
    expect(Object.keys(storage.loadMessages('general').messages)).toEqual(['1', '2', '3']);
  });

  it('writes versioned JSON and reads another version as absent', () => {
    const raw = new MemoryStorage();
    const storage = new ChatStorage(raw, silentLog);
    storage.saveSession({ token: 't', user: bob, name: 'bob' });
    expect(JSON.parse(raw.getItem(STORAGE_KEYS.session) ?? '')).toMatchObject({ v: 1, data: { token: 't' } });
    raw.setItem(STORAGE_KEYS.session, JSON.stringify({ v: 2, data: { token: 't' } }));
    expect(storage.loadSession()).toEqual({ token: null, user: null, name: null });
  });

  it('reads corrupt values as absent and skips bad parts', () => {
    const raw = new MemoryStorage();
    const storage = new ChatStorage(raw, silentLog);
    raw.setItem(STORAGE_KEYS.session, '{"v":1,"data":{"token":5,"user":{"id":1}}}');
    raw.setItem(
      STORAGE_KEYS.rooms,
      '{"v":1,"data":{"order":["ok","Bad Name",7,"ok"],"rooms":{"ok":{"seq":-1}}}}',
    );
    raw.setItem(
      STORAGE_KEYS.messages('ok'),
      JSON.stringify({
        v: 1,
        data: { messages: [...messages('ok', 1, 2), { seq: 'x' }, ...messages('other', 3, 3)] },
      }),
    );
    raw.setItem(STORAGE_KEYS.outbox, 'garbage');
    expect(storage.loadSession()).toEqual({ token: null, user: null, name: null });
    expect(storage.loadRooms()).toEqual({
      order: ['ok'],
      current: null,
      rooms: new Map([['ok', { epoch: null, seq: 0, unread: 0, hasMore: false }]]),
    });
    expect(Object.keys(storage.loadMessages('ok').messages)).toEqual(['1', '2']);
    expect(storage.loadOutbox()).toEqual([]);
  });

  it('stores only the latest messages of a room and says that older ones exist', () => {
    const storage = new ChatStorage(new MemoryStorage(), silentLog);
    storage.saveMessages('general', mergeMessages(NO_MESSAGES, messages('general', 1, 300)));
    const loaded = storage.loadMessages('general');
    expect(Object.keys(loaded.messages)).toHaveLength(200);
    expect(loaded.messages[101]).toBeDefined();
    expect(loaded.truncated).toBe(true);
  });

  it('evicts cached messages to make room for the outbox', () => {
    const raw = new MemoryStorage();
    const storage = new ChatStorage(raw, silentLog);
    storage.saveMessages('general', mergeMessages(NO_MESSAGES, messages('general', 1, 3)));
    const setItem = raw.setItem.bind(raw);
    let refusals = 1;
    raw.setItem = (key, value) => {
      if (key === STORAGE_KEYS.outbox && refusals-- > 0) throw new DOMException('full', 'QuotaExceededError');
      setItem(key, value);
    };
    storage.saveOutbox([outboxItem]);
    expect(raw.getItem(STORAGE_KEYS.messages('general'))).toBeNull();
    expect(storage.loadOutbox()).toEqual([outboxItem]);
  });

  it('survives storage that throws on every call', () => {
    const throwing = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('denied');
      },
      removeItem: () => {
        throw new Error('denied');
      },
    };
    const storage = new ChatStorage(throwing, silentLog);
    expect(() => {
      storage.saveOutbox([outboxItem]);
      storage.clear();
    }).not.toThrow();
    expect(restoreState(storage).state.rooms).toEqual({ order: [], current: null, byName: new Map() });
  });

  it('clears every key it wrote', () => {
    const raw = new MemoryStorage();
    const storage = new ChatStorage(raw, silentLog);
    raw.setItem('someone-else', 'keep');
    storage.saveSession({ token: 't', user: bob, name: 'bob' });
    storage.saveOutbox([outboxItem]);
    storage.saveMessages('general', mergeMessages(NO_MESSAGES, messages('general', 1, 1)));
    storage.clear();
    expect([...raw.data.keys()]).toEqual(['someone-else']);
  });
});

describe('bindPersistence', () => {
  fakeTimersEachTest();

  it('writes the outbox at once and rooms and messages debounced', () => {
    const raw = new MemoryStorage();
    const storage = new ChatStorage(raw, silentLog);
    const store = createChatStateStore();
    const binding = bindPersistence(store, storage, systemTimers, 500);

    store.setState({ outbox: { items: [outboxItem], full: false } });
    expect(storage.loadOutbox()).toEqual([outboxItem]);

    store.setState({
      rooms: { order: ['general'], current: 'general', byName: new Map([['general', emptyRoom('general')]]) },
      messages: { byRoom: new Map([['general', mergeMessages(NO_MESSAGES, messages('general', 1, 2))]]) },
    });
    expect(raw.getItem(STORAGE_KEYS.rooms)).toBeNull();
    vi.advanceTimersByTime(500);
    expect(storage.loadRooms().order).toEqual(['general']);
    expect(Object.keys(storage.loadMessages('general').messages)).toEqual(['1', '2']);

    store.setState({
      rooms: { order: [], current: null, byName: new Map() },
      messages: { byRoom: new Map() },
    });
    binding.flush();
    expect(raw.getItem(STORAGE_KEYS.messages('general'))).toBeNull();
    binding.dispose();
  });
});
