/**
 * A `ChatClient` over a fake WebSocket, environment and storage, driven by the
 * test as the server and the browser would: the harness of the client's tests
 * (net/ChatClient, session, outboxPump, typing). The caller installs fake
 * timers (`fakeTimersEachTest`); the client's clock is the faked `Date.now`,
 * which `sleep` can move ahead of the timers.
 */
import type { Joined, Message, User, Welcome } from '@tether/protocol';
import { expect, vi } from 'vitest';

import { ChatClient } from '../net/ChatClient';
import { NO_MESSAGES, sortedMessages } from '../state/messages';
import { FakeEnvironment, FakeFetch, MemoryStorage, fakeSocketFactory, silentLog } from './fakes';
import type { FakeWebSocket } from './fakes';
import { RECONNECT_WAIT, alice, joinedFrame, welcomeFrame } from './frames';

export interface ClientSetupOptions {
  storage?: MemoryStorage;
  random?: () => number;
  outboxLimit?: number;
}

export function setupClient(options: ClientSetupOptions = {}) {
  const factory = fakeSocketFactory();
  const environment = new FakeEnvironment();
  const fetch = new FakeFetch();
  const storage = options.storage ?? new MemoryStorage();
  let skew = 0;
  const client = new ChatClient({
    url: 'ws://chat.test/ws',
    WebSocket: factory.WebSocket,
    fetch: fetch.fetch,
    storage,
    environment,
    // The monotonic clock can run ahead of the timers, as in a throttled
    // background tab whose timers fire late.
    clock: { now: () => performance.now() + skew },
    random: options.random ?? (() => 0.5),
    log: silentLog,
    ...(options.outboxLimit === undefined ? {} : { outboxLimit: options.outboxLimit }),
  });
  const h = {
    client,
    environment,
    fetch,
    storage,
    sockets: factory.sockets,
    get socket(): FakeWebSocket {
      return factory.last();
    },
    get state() {
      return client.store.getState();
    },
    /** The machine sleeps for `ms`: the clock moves on, no timer fires. */
    sleep(ms: number) {
      skew += ms;
    },
    /** Opens the current socket and answers its hello (`extra`: e.g. the server's limits). */
    welcome(user: User = alice, token = 't_alice', extra: Partial<Welcome> = {}): FakeWebSocket {
      const socket = factory.last();
      socket.open();
      socket.deliver(welcomeFrame(user, token, extra));
      return socket;
    },
    /** Chooses `name` and starts: returns the first socket, not yet open. */
    startAs(name: string): FakeWebSocket {
      client.setName(name);
      client.start();
      return factory.last();
    },
    /** Starts as alice, in #general with `messages`, and forgets the frames sent so far. */
    signIn(messages: Message[] = [], welcome: Partial<Welcome> = {}): FakeWebSocket {
      h.startAs('alice');
      const socket = h.welcome(alice, 't_alice', welcome);
      socket.deliver(joinedFrame('general', messages));
      socket.clearSent();
      return socket;
    },
    /** Lets a pending reconnect happen and answers it, rooms included. */
    reconnect(joined: Joined[] = [], welcome: Partial<Welcome> = {}): FakeWebSocket {
      const before = factory.sockets.length;
      vi.advanceTimersByTime(RECONNECT_WAIT);
      expect(factory.sockets.length).toBe(before + 1);
      const socket = h.welcome(alice, 't_alice', welcome);
      for (const frame of joined) socket.deliver(frame);
      return socket;
    },
    /** Sends `text` to `room` and returns the message's id; throws if the client refuses it. */
    mustSend(room: string, text: string): string {
      const result = client.send(room, text);
      if (!result.ok) throw new Error('send refused');
      return result.id;
    },
    messagesOf(room: string): Message[] {
      return sortedMessages(h.state.messages.byRoom.get(room) ?? NO_MESSAGES);
    },
  };
  return h;
}

export type ClientHarness = ReturnType<typeof setupClient>;
