import { act, renderHook } from '@testing-library/react';
import type { ReactNode } from 'react';
import { describe, expect, it, vi } from 'vitest';

import { ChatClient } from '../net/ChatClient';
import {
  FakeEnvironment,
  MemoryStorage,
  fakeSocketFactory,
  fakeTimersEachTest,
  silentLog,
} from '../test/fakes';
import { alice, bob, joinedFrame, welcomeFrame } from '../test/frames';
import {
  ChatProvider,
  useChatClient,
  useChatConnection,
  useConnection,
  useCurrentRoom,
  useMembers,
  useMessages,
  useOutbox,
  useRooms,
  useSession,
  useTyping,
} from './index';

function setup() {
  const factory = fakeSocketFactory();
  const options = {
    url: 'ws://chat.test/ws',
    WebSocket: factory.WebSocket,
    storage: new MemoryStorage(),
    environment: new FakeEnvironment(),
    log: silentLog,
  };
  const client = new ChatClient(options);
  const wrapper = ({ children }: { children: ReactNode }) => (
    <ChatProvider client={client}>{children}</ChatProvider>
  );
  /** Signs in as alice in #general, joined with bob. */
  const signIn = () => {
    act(() => {
      client.setName('alice');
      client.start();
      const socket = factory.last();
      socket.open();
      socket.deliver(welcomeFrame(alice, 't'));
      socket.deliver(joinedFrame('general', [], { epoch: 'e' }));
    });
    return factory.last();
  };
  return { client, factory, options, wrapper, signIn };
}

fakeTimersEachTest();

describe('hooks', () => {
  it('useChatConnection creates one client, starts it on mount and stops it on unmount', () => {
    const { factory, options } = setup();
    options.storage.setItem(
      'tether:session',
      JSON.stringify({ v: 1, data: { token: 't', user: alice, name: 'alice' } }),
    );
    const { result, rerender, unmount } = renderHook(() => useChatConnection(options));
    const client = result.current;
    rerender();
    expect(result.current).toBe(client);
    expect(factory.sockets).toHaveLength(1);
    expect(factory.last().url).toBe('ws://chat.test/ws');
    unmount();
    expect(factory.last().closedByClient?.code).toBe(1000);
  });

  it('useChatConnection takes the URL from the page by default', () => {
    const { result, unmount } = renderHook(() =>
      useChatConnection({ storage: null, environment: new FakeEnvironment() }),
    );
    expect(result.current).toBeInstanceOf(ChatClient);
    unmount();
  });

  it('useChatClient needs a ChatProvider', () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(() => renderHook(() => useChatClient())).toThrow(/ChatProvider/);
  });

  it('selects connection, session, rooms and members', () => {
    const { wrapper, signIn } = setup();
    const { result } = renderHook(
      () => ({
        connection: useConnection(),
        session: useSession(),
        rooms: useRooms(),
        current: useCurrentRoom(),
        members: useMembers('general'),
      }),
      { wrapper },
    );
    expect(result.current.connection.status.kind).toBe('idle');
    signIn();
    expect(result.current.connection.status.kind).toBe('open');
    expect(result.current.session.user).toEqual(alice);
    expect(result.current.rooms.rooms.map((r) => r.name)).toEqual(['general']);
    expect(result.current.current?.name).toBe('general');
    expect(result.current.members).toEqual([alice, bob]);
  });

  it('useMessages shows sent and unsent messages and keeps its array while nothing in it changes', () => {
    const { client, wrapper, signIn } = setup();
    const socket = signIn();
    const { result } = renderHook(() => ({ messages: useMessages('general'), outbox: useOutbox() }), {
      wrapper,
    });
    act(() => {
      socket.deliver({ type: 'message', room: 'general', seq: 1, ts: 1, id: 'b1', from: bob, text: 'hi' });
    });
    const first = result.current.messages;
    act(() => {
      socket.deliver({ type: 'pong', t: performance.now() });
    });
    expect(result.current.messages).toBe(first);

    act(() => {
      socket.serverClose(1006);
      client.send('general', 'queued');
    });
    expect(result.current.messages.map((m) => [m.text, m.status])).toEqual([
      ['hi', 'sent'],
      ['queued', 'sending'],
    ]);
    expect(result.current.outbox.items).toHaveLength(1);
  });

  it('useTyping names others typing and forgets them after 3 s', () => {
    const { wrapper, signIn } = setup();
    const socket = signIn();
    const { result } = renderHook(() => useTyping('general'), { wrapper });
    act(() => {
      socket.deliver({ type: 'typing', room: 'general', user: bob });
    });
    expect(result.current).toEqual(['bob']);
    act(() => {
      vi.advanceTimersByTime(3_000);
    });
    expect(result.current).toEqual([]);
  });
});
