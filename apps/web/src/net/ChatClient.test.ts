import type { Joined, Message, User, Welcome } from '@tether/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { sortedMessages } from '../state/messages';
import { messageViews, typingNames } from '../state/selectors';
import { OUTBOX_LIMIT } from '../state/types';
import { ChatClient } from './ChatClient';
import { CLIENT_RECONNECT_CLOSE } from './socket';
import { STORAGE_KEYS } from '../state/persistence';
import { FakeEnvironment, MemoryStorage, fakeSocketFactory, silentLog } from '../test/fakes';
import type { FakeWebSocket } from '../test/fakes';

const alice: User = { id: 'u_alice', name: 'alice' };
const bob: User = { id: 'u_bob', name: 'bob' };
const HEARTBEAT = { intervalMs: 25_000, timeoutMs: 10_000 };

function message(room: string, seq: number, from: User = bob, text = `${room} #${seq}`): Message {
  return { room, seq, ts: 1_700_000_000_000 + seq, id: `${from.id}_${seq}`, from, text };
}

function range(room: string, first: number, last: number, from: User = bob): Message[] {
  const messages: Message[] = [];
  for (let seq = first; seq <= last; seq++) messages.push(message(room, seq, from));
  return messages;
}

function welcomeFrame(user: User = alice, token = 't_alice'): Welcome {
  return { type: 'welcome', v: 1, user, token, heartbeat: HEARTBEAT };
}

function joinedFrame(room: string, messages: Message[] = [], options: Partial<Joined> = {}): Joined {
  return {
    type: 'joined',
    room,
    epoch: 'e1',
    seq: messages.at(-1)?.seq ?? 0,
    members: [alice, bob],
    messages,
    hasMore: false,
    ...options,
  };
}

interface SetupOptions {
  storage?: MemoryStorage;
  random?: () => number;
  outboxLimit?: number;
}

function setup(options: SetupOptions = {}) {
  const factory = fakeSocketFactory();
  const environment = new FakeEnvironment();
  const storage = options.storage ?? new MemoryStorage();
  let skew = 0;
  const client = new ChatClient({
    url: 'ws://chat.test/ws',
    WebSocket: factory.WebSocket,
    storage,
    environment,
    // The wall clock can jump ahead of the timers, as after a sleep.
    clock: { now: () => Date.now() + skew },
    random: options.random ?? (() => 0.5),
    log: silentLog,
    ...(options.outboxLimit === undefined ? {} : { outboxLimit: options.outboxLimit }),
  });
  const h = {
    client,
    environment,
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
    /** Opens the current socket and answers its hello. */
    welcome(user: User = alice, token = 't_alice'): FakeWebSocket {
      const socket = factory.last();
      socket.open();
      socket.deliver(welcomeFrame(user, token));
      return socket;
    },
    /** Starts as alice, in #general with `messages`, and forgets the frames sent so far. */
    signIn(messages: Message[] = []): FakeWebSocket {
      client.setName('alice');
      client.start();
      const socket = h.welcome();
      socket.deliver(joinedFrame('general', messages));
      socket.clearSent();
      return socket;
    },
    /** Lets a pending reconnect happen and answers it, rooms included. */
    reconnect(joined: Joined[] = []): FakeWebSocket {
      const before = factory.sockets.length;
      vi.advanceTimersByTime(RECONNECT_WAIT);
      expect(factory.sockets.length).toBe(before + 1);
      const socket = h.welcome();
      for (const frame of joined) socket.deliver(frame);
      return socket;
    },
    messagesOf(room: string): Message[] {
      return sortedMessages(h.state.messages.byRoom[room] ?? {});
    },
  };
  return h;
}

/** Longer than any backoff delay. */
const RECONNECT_WAIT = 10_000;

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date('2026-03-01T12:00:00Z'));
});

afterEach(() => {
  vi.useRealTimers();
});

describe('ChatClient', () => {
  describe('session', () => {
    it('stays idle without a name and connects once one is chosen', () => {
      const h = setup();
      h.client.start();
      expect(h.state.connection.status).toEqual({ kind: 'idle' });
      expect(h.sockets).toHaveLength(0);

      expect(h.client.setName('  alice ')).toEqual({ ok: true });
      expect(h.state.connection.status).toEqual({ kind: 'connecting', attempt: 0 });
      expect(h.state.session.pendingName).toBe('alice');
      h.socket.open();
      expect(h.socket.frames()).toEqual([{ type: 'hello', v: 1, name: 'alice' }]);
      h.socket.deliver(welcomeFrame());
      expect(h.state.session).toEqual({
        user: alice,
        pendingName: null,
        nameError: null,
        suggestedName: null,
      });
      expect(h.state.connection.status).toEqual({ kind: 'open', since: Date.now() });
    });

    it('joins general and selects it after the first welcome', () => {
      const h = setup();
      h.client.setName('alice');
      h.client.start();
      h.welcome();
      expect(h.socket.framesOf('join')).toEqual([{ type: 'join', room: 'general' }]);
      expect(h.state.rooms.order).toEqual(['general']);
      expect(h.state.rooms.current).toBe('general');
    });

    it('refuses an invalid name locally without connecting', () => {
      const h = setup();
      h.client.start();
      expect(h.client.setName('   ')).toEqual({ ok: false, reason: 'invalid_name' });
      expect(h.state.session.nameError).toBe('invalid_name');
      expect(h.sockets).toHaveLength(0);
    });

    it('sets nameError on name_taken and says hello again on the same socket with the next name', () => {
      const h = setup();
      h.client.setName('alice');
      h.client.start();
      h.socket.open();
      h.socket.deliver({ type: 'error', code: 'name_taken', message: 'taken' });
      expect(h.state.session).toMatchObject({ user: null, nameError: 'name_taken', suggestedName: 'alice' });

      h.client.setName('alice2');
      expect(h.sockets).toHaveLength(1);
      expect(h.socket.framesOf('hello').map((frame) => frame.name)).toEqual(['alice', 'alice2']);
      h.socket.deliver(welcomeFrame({ id: 'u_a2', name: 'alice2' }));
      expect(h.state.session.nameError).toBeNull();
      expect(h.state.session.user?.name).toBe('alice2');
    });

    it('sets invalid_name from the server in session.nameError', () => {
      const h = setup();
      h.client.setName('alice');
      h.client.start();
      h.socket.open();
      h.socket.deliver({ type: 'error', code: 'invalid_name', message: 'bad' });
      expect(h.state.session.nameError).toBe('invalid_name');
    });

    it('goes idle instead of reconnecting when the server closes a socket that has no name to say', () => {
      const h = setup();
      h.client.setName('alice');
      h.client.start();
      h.socket.open();
      h.socket.deliver({ type: 'error', code: 'name_taken', message: 'taken' });
      h.socket.serverClose(4408);
      expect(h.state.connection.status).toEqual({ kind: 'idle' });
      vi.advanceTimersByTime(60_000);
      expect(h.sockets).toHaveLength(1);
    });

    it('renames on a new connection and stays who it was when the new name is taken', () => {
      const h = setup();
      h.signIn();
      const first = h.socket;
      h.client.setName('bob');
      expect(first.closedByClient?.code).toBe(CLIENT_RECONNECT_CLOSE);
      h.socket.open();
      expect(h.socket.framesOf('hello')).toEqual([{ type: 'hello', v: 1, name: 'bob', token: 't_alice' }]);
      h.socket.deliver({ type: 'error', code: 'name_taken', message: 'taken' });
      expect(h.socket.framesOf('hello').at(-1)).toEqual({
        type: 'hello',
        v: 1,
        name: 'alice',
        token: 't_alice',
      });
      h.socket.deliver(welcomeFrame());
      expect(h.state.session).toEqual({
        user: alice,
        pendingName: null,
        nameError: 'name_taken',
        suggestedName: 'bob',
      });
    });

    it('asks for another name when its saved name was taken meanwhile, without a retry loop', () => {
      const storage = new MemoryStorage();
      const first = setup({ storage });
      first.signIn();
      first.client.stop();

      const h = setup({ storage });
      h.client.start();
      h.socket.open();
      h.socket.deliver({ type: 'error', code: 'name_taken', message: 'taken' });
      expect(h.state.session).toMatchObject({ user: null, nameError: 'name_taken', suggestedName: 'alice' });
      h.socket.serverClose(4408);
      expect(h.state.connection.status).toEqual({ kind: 'idle' });
      h.client.setName('alice2');
      h.socket.open();
      expect(h.socket.framesOf('hello')).toEqual([{ type: 'hello', v: 1, name: 'alice2', token: 't_alice' }]);
    });

    it('forgets the token on invalid_token and prefills the name picker with the saved name', () => {
      const storage = new MemoryStorage();
      const first = setup({ storage });
      first.signIn();
      first.client.stop();

      const h = setup({ storage });
      h.client.start();
      h.socket.open();
      expect(h.socket.framesOf('hello')).toEqual([{ type: 'hello', v: 1, name: 'alice', token: 't_alice' }]);
      h.socket.deliver({ type: 'error', code: 'invalid_token', message: 'expired' });
      expect(h.state.session).toEqual({
        user: null,
        pendingName: null,
        nameError: null,
        suggestedName: 'alice',
      });
      expect(storage.getItem(STORAGE_KEYS.session)).not.toContain('t_alice');

      h.client.setName('alice');
      expect(h.socket.framesOf('hello').at(-1)).toEqual({ type: 'hello', v: 1, name: 'alice' });
    });

    it('signs out: closes cleanly, forgets everything and goes idle', () => {
      const h = setup();
      const socket = h.signIn(range('general', 1, 3));
      h.client.signOut();
      expect(socket.closedByClient?.code).toBe(1000);
      expect(h.state.session.user).toBeNull();
      expect(h.state.rooms.order).toEqual([]);
      expect(h.state.connection.status).toEqual({ kind: 'idle' });
      expect(h.storage.data.size).toBe(0);
      vi.advanceTimersByTime(60_000);
      expect(h.sockets).toHaveLength(1);
    });
  });

  describe('reconnect', () => {
    /** Closes the current socket before it opens and returns the delay the client chose. */
    function failAttempt(h: ReturnType<typeof setup>, code = 1006): number {
      h.socket.serverClose(code);
      const status = h.state.connection.status;
      if (status.kind !== 'reconnecting') throw new Error(`expected reconnecting, got ${status.kind}`);
      return status.retryAt - Date.now();
    }

    it('waits a full-jitter exponential delay before each attempt, capped at 10 s', () => {
      const h = setup({ random: () => 0.9999 });
      h.client.setName('alice');
      h.client.start();
      const delays: number[] = [];
      for (let attempt = 1; attempt <= 7; attempt++) {
        const delay = failAttempt(h);
        delays.push(delay);
        const count = h.sockets.length;
        vi.advanceTimersByTime(delay - 1);
        expect(h.sockets).toHaveLength(count);
        vi.advanceTimersByTime(1);
        expect(h.sockets).toHaveLength(count + 1);
        expect(h.state.connection.status).toEqual({ kind: 'connecting', attempt });
      }
      expect(delays).toEqual([499, 999, 1999, 3999, 7999, 9999, 9999]);
    });

    it('draws each delay at random between 0 and the ceiling', () => {
      const values = [0, 0.5, 0.25];
      const h = setup({ random: () => values.shift() ?? 0 });
      h.client.setName('alice');
      h.client.start();
      const delays: number[] = [];
      for (let attempt = 1; attempt <= 3; attempt++) {
        delays.push(failAttempt(h));
        vi.advanceTimersByTime(RECONNECT_WAIT);
      }
      expect(delays).toEqual([0, 500, 500]);
    });

    it('resets the attempt count once a connection stayed up 10 s, and not before', () => {
      const h = setup({ random: () => 0.9999 });
      h.client.setName('alice');
      h.client.start();
      failAttempt(h);
      vi.advanceTimersByTime(RECONNECT_WAIT);
      failAttempt(h);
      vi.advanceTimersByTime(RECONNECT_WAIT);

      h.welcome();
      vi.advanceTimersByTime(9_000);
      expect(failAttempt(h)).toBe(1999); // attempt 3: up for 9 s only
      vi.advanceTimersByTime(RECONNECT_WAIT);

      h.welcome();
      vi.advanceTimersByTime(10_000);
      expect(failAttempt(h)).toBe(499); // attempt 1 again
    });

    it('waits at least 5 s after a 1013 close', () => {
      const h = setup({ random: () => 0 });
      h.signIn();
      h.socket.serverClose(1013);
      vi.advanceTimersByTime(4_999);
      expect(h.sockets).toHaveLength(1);
      vi.advanceTimersByTime(1);
      expect(h.sockets).toHaveLength(2);
    });

    it('keeps the 5 s pause after a 1013 when the page becomes visible or the network returns', () => {
      const h = setup({ random: () => 0 });
      h.signIn();
      h.socket.serverClose(1013);
      vi.advanceTimersByTime(1_000);
      h.environment.show();
      h.environment.goOffline();
      h.environment.goOnline();
      vi.advanceTimersByTime(3_999);
      expect(h.sockets).toHaveLength(1);
      vi.advanceTimersByTime(1);
      expect(h.sockets).toHaveLength(2);
    });

    it.each([1002, 1003, 1008, 1009])(
      'reports close %i as failed and does not retry it in a loop',
      (code) => {
        const h = setup({ random: () => 0 });
        h.signIn();
        h.socket.serverClose(code);
        expect(h.state.connection.status).toMatchObject({ kind: 'failed', code });
        vi.advanceTimersByTime(120_000);
        h.environment.goOnline();
        h.environment.show();
        expect(h.sockets).toHaveLength(1);

        h.client.retryNow();
        expect(h.sockets).toHaveLength(2);
      },
    );

    it('shows the unsupported_version error as failed', () => {
      const h = setup();
      h.client.setName('alice');
      h.client.start();
      h.socket.open();
      h.socket.deliver({ type: 'error', code: 'unsupported_version', message: 'v2 only' });
      h.socket.serverClose(1002);
      expect(h.state.connection.status).toMatchObject({ kind: 'failed', code: 1002 });
    });

    it('starts the next attempt at once on the online event', () => {
      const h = setup({ random: () => 0.9999 });
      h.signIn();
      h.socket.serverClose(1006);
      expect(h.state.connection.status.kind).toBe('reconnecting');
      h.environment.goOnline();
      expect(h.sockets).toHaveLength(2);
      expect(h.state.connection.status.kind).toBe('connecting');
    });

    it('waits for the online event while the browser is offline', () => {
      const h = setup();
      h.signIn();
      h.environment.online = false;
      h.socket.serverClose(1006);
      expect(h.state.connection.status).toEqual({ kind: 'offline' });
      vi.advanceTimersByTime(120_000);
      expect(h.sockets).toHaveLength(1);
      h.environment.goOnline();
      expect(h.sockets).toHaveLength(2);
    });

    it('stops waiting for a retry when the browser goes offline', () => {
      const h = setup({ random: () => 0.9999 });
      h.signIn();
      h.socket.serverClose(1006);
      h.environment.goOffline();
      expect(h.state.connection.status).toEqual({ kind: 'offline' });
      vi.advanceTimersByTime(120_000);
      expect(h.sockets).toHaveLength(1);
    });

    it('starts the next attempt at once when the page becomes visible', () => {
      const h = setup({ random: () => 0.9999 });
      h.signIn();
      h.environment.hide();
      h.socket.serverClose(1006);
      h.environment.show();
      expect(h.sockets).toHaveLength(2);
    });

    it('reconnects at once on retryNow', () => {
      const h = setup({ random: () => 0.9999 });
      h.signIn();
      h.socket.serverClose(1001);
      h.client.retryNow();
      expect(h.sockets).toHaveLength(2);
    });

    it('ignores events from a socket it has already replaced', () => {
      const h = setup();
      h.client.setName('alice');
      h.client.start();
      const stale = h.socket;
      h.client.retryNow();
      const current = h.socket;
      expect(current).not.toBe(stale);
      expect(stale.closedByClient?.code).toBe(CLIENT_RECONNECT_CLOSE);

      stale.open();
      stale.deliver(welcomeFrame());
      stale.deliver(joinedFrame('general', range('general', 1, 5)));
      stale.serverClose(1008);
      expect(stale.sent).toEqual([]);
      expect(h.state.connection.status).toEqual({ kind: 'connecting', attempt: 0 });
      expect(h.state.messages.byRoom).toEqual({});
      // Well past any backoff, short of the handshake timeout of the current socket.
      vi.advanceTimersByTime(15_000);
      expect(h.sockets).toHaveLength(2);

      current.open();
      expect(current.framesOf('hello')).toHaveLength(1);
    });

    it('drops a socket that opens but never says welcome', () => {
      const h = setup();
      h.client.setName('alice');
      h.client.start();
      h.socket.open();
      vi.advanceTimersByTime(19_999);
      expect(h.socket.closedByClient).toBeNull();
      vi.advanceTimersByTime(1);
      expect(h.socket.closedByClient?.code).toBe(CLIENT_RECONNECT_CLOSE);
      expect(h.state.connection.status.kind).toBe('reconnecting');
    });

    it('closes cleanly on stop and can start again (React StrictMode)', () => {
      const h = setup();
      h.client.setName('alice');
      h.client.start();
      const first = h.socket;
      h.client.stop();
      expect(first.closedByClient?.code).toBe(1000);
      expect(h.environment.subscribed).toBe(false);
      first.finishClose();
      vi.advanceTimersByTime(60_000);
      expect(h.sockets).toHaveLength(1);

      h.client.start();
      expect(h.sockets).toHaveLength(2);
      h.welcome();
      expect(h.state.connection.status.kind).toBe('open');
    });
  });

  describe('heartbeat', () => {
    function pings(socket: FakeWebSocket): number[] {
      return socket.framesOf('ping').map((frame) => frame.t);
    }

    it('pings every intervalMs and records the round trip', () => {
      const h = setup();
      const socket = h.signIn();
      vi.advanceTimersByTime(24_999);
      expect(pings(socket)).toEqual([]);
      vi.advanceTimersByTime(1);
      const [t] = pings(socket);
      expect(t).toBe(Date.now());
      vi.advanceTimersByTime(42);
      socket.deliver({ type: 'pong', t: t! });
      expect(h.state.connection.rttMs).toBe(42);
      vi.advanceTimersByTime(25_000);
      expect(pings(socket)).toHaveLength(2);
      expect(h.state.connection.status.kind).toBe('open');
    });

    it('finds a silent socket within timeoutMs after a ping', () => {
      const h = setup();
      const socket = h.signIn();
      vi.advanceTimersByTime(25_000);
      expect(pings(socket)).toHaveLength(1);
      vi.advanceTimersByTime(9_999);
      expect(socket.closedByClient).toBeNull();
      vi.advanceTimersByTime(1);
      expect(socket.closedByClient?.code).toBe(CLIENT_RECONNECT_CLOSE);
      expect(h.state.connection.status.kind).toBe('reconnecting');
    });

    it('counts any frame as an answer, not only pong', () => {
      const h = setup();
      const socket = h.signIn();
      vi.advanceTimersByTime(25_000);
      socket.deliver({ type: 'message', ...message('general', 1) });
      vi.advanceTimersByTime(10_000);
      expect(socket.closedByClient).toBeNull();
    });

    it('does not take a late deadline for a dead link: it pings again and judges by the answer', () => {
      const h = setup();
      const socket = h.signIn();
      vi.advanceTimersByTime(25_000);
      h.sleep(3_600_000); // the machine sleeps right after the ping
      vi.advanceTimersByTime(10_000);
      expect(socket.closedByClient).toBeNull();
      const [, fresh] = pings(socket);
      expect(fresh).toBe(Date.now() + 3_600_000);

      vi.advanceTimersByTime(30);
      socket.deliver({ type: 'pong', t: fresh! });
      vi.advanceTimersByTime(10_000);
      expect(socket.closedByClient).toBeNull();
      expect(h.state.connection.status.kind).toBe('open');
      expect(h.state.connection.rttMs).toBe(30);
    });

    it('finds the link dead when the fresh ping after a late deadline gets no answer', () => {
      const h = setup();
      const socket = h.signIn();
      vi.advanceTimersByTime(25_000);
      h.sleep(600_000);
      vi.advanceTimersByTime(10_000);
      expect(socket.closedByClient).toBeNull();
      vi.advanceTimersByTime(10_000);
      expect(socket.closedByClient?.code).toBe(CLIENT_RECONNECT_CLOSE);
    });

    it('does not take a late ping timer for a dead link', () => {
      const h = setup();
      const socket = h.signIn();
      h.sleep(3_600_000); // a throttled or sleeping tab: the ping timer fires an hour late
      vi.advanceTimersByTime(25_000);
      expect(socket.closedByClient).toBeNull();
      const [t] = pings(socket);
      socket.deliver({ type: 'pong', t: t! });
      vi.advanceTimersByTime(10_000);
      expect(socket.closedByClient).toBeNull();
    });

    it('pings at once when the page becomes visible, and finds a dead link within timeoutMs', () => {
      const h = setup();
      const socket = h.signIn();
      vi.advanceTimersByTime(5_000);
      h.environment.hide();
      h.environment.show();
      expect(pings(socket)).toEqual([Date.now()]);
      vi.advanceTimersByTime(10_000);
      expect(socket.closedByClient?.code).toBe(CLIENT_RECONNECT_CLOSE);
    });

    it('ignores the close event that a dropped socket fires later', () => {
      const h = setup({ random: () => 0.9999 });
      const socket = h.signIn();
      vi.advanceTimersByTime(35_000);
      const status = h.state.connection.status;
      expect(status.kind).toBe('reconnecting');
      socket.finishClose();
      expect(h.state.connection.status).toEqual(status);
    });
  });

  describe('resume', () => {
    it('says hello with the token and joins every room with since and epoch', () => {
      const h = setup({ random: () => 0 });
      const socket = h.signIn(range('general', 1, 3));
      h.client.join('random');
      socket.deliver(joinedFrame('random', range('random', 7, 9), { epoch: 'e_r', hasMore: true }));
      h.client.join('empty');
      socket.deliver(joinedFrame('empty', [], { epoch: 'e_x' }));
      socket.serverClose(1006);

      const next = h.reconnect();
      expect(next.frames()).toEqual([
        { type: 'hello', v: 1, name: 'alice', token: 't_alice' },
        { type: 'join', room: 'general', since: 3, epoch: 'e1' },
        { type: 'join', room: 'random', since: 9, epoch: 'e_r' },
        { type: 'join', room: 'empty' },
        // The first heartbeat ping goes out right after the resume traffic.
        { type: 'ping', t: expect.any(Number) as number },
      ]);
    });

    it('merges resumed messages by seq without duplicates', () => {
      const h = setup({ random: () => 0 });
      const socket = h.signIn(range('general', 1, 3));
      socket.serverClose(1006);
      h.reconnect([joinedFrame('general', range('general', 2, 6))]);
      h.socket.deliver({ type: 'message', ...message('general', 6) });
      expect(h.messagesOf('general').map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(h.state.rooms.byName.general).toMatchObject({ seq: 6, joined: true });
    });

    it('drops what it kept of a room whose epoch changed', () => {
      const h = setup({ random: () => 0 });
      const socket = h.signIn(range('general', 1, 3));
      socket.serverClose(1006);
      const reset = [message('general', 1, bob, 'after the reset')];
      h.reconnect([joinedFrame('general', reset, { epoch: 'e2' })]);
      expect(h.messagesOf('general')).toEqual(reset);
      expect(h.state.rooms.byName.general?.epoch).toBe('e2');
    });

    it('drops what it kept when the resume does not reach back to it', () => {
      const h = setup({ random: () => 0 });
      const socket = h.signIn(range('general', 1, 3));
      socket.serverClose(1006);
      h.reconnect([joinedFrame('general', range('general', 600, 1099), { hasMore: true })]);
      const seqs = h.messagesOf('general').map((m) => m.seq);
      expect(seqs[0]).toBe(600);
      expect(seqs).toHaveLength(500);
      expect(h.state.rooms.byName.general?.hasMore).toBe(true);
    });

    it('resumes after the last gap-free seq when an ack arrived before an earlier message', () => {
      const h = setup({ random: () => 0 });
      const socket = h.signIn(range('general', 1, 3));
      const sent = h.client.send('general', 'hi');
      if (!sent.ok) throw new Error('send refused');
      socket.deliver({ type: 'ack', room: 'general', id: sent.id, seq: 5, ts: Date.now() });
      socket.serverClose(1006);
      const next = h.reconnect();
      expect(next.framesOf('join')).toEqual([{ type: 'join', room: 'general', since: 3, epoch: 'e1' }]);
    });

    it('counts messages from others that arrive in rooms that are not current as unread', () => {
      const h = setup({ random: () => 0 });
      const socket = h.signIn(range('general', 1, 3));
      h.client.join('random');
      socket.deliver(joinedFrame('random', range('random', 1, 2), { epoch: 'e_r' }));
      expect(h.state.rooms.current).toBe('random');
      socket.deliver({ type: 'message', ...message('general', 4) });
      socket.deliver({ type: 'message', ...message('general', 5, alice) });
      socket.deliver({ type: 'message', ...message('random', 3) });
      expect(h.state.rooms.byName.general?.unread).toBe(1);
      expect(h.state.rooms.byName.random?.unread).toBe(0);

      socket.serverClose(1006);
      h.reconnect([
        joinedFrame('general', range('general', 4, 7), { epoch: 'e1' }),
        joinedFrame('random', range('random', 4, 4), { epoch: 'e_r' }),
      ]);
      expect(h.state.rooms.byName.general?.unread).toBe(3);
      h.client.select('general');
      expect(h.state.rooms.byName.general?.unread).toBe(0);
    });
  });

  describe('send', () => {
    it('queues messages while reconnecting and shows them as sending', () => {
      const h = setup({ random: () => 0.9999 });
      const socket = h.signIn();
      socket.serverClose(1006);
      expect(h.state.connection.status.kind).toBe('reconnecting');

      const result = h.client.send('general', 'while away');
      expect(result.ok).toBe(true);
      expect(h.state.outbox.items).toEqual([
        expect.objectContaining({ room: 'general', text: 'while away', state: 'sending' }),
      ]);
      const views = messageViews(h.state.messages.byRoom.general, h.state.outbox.items, 'general', alice);
      expect(views.at(-1)).toMatchObject({ text: 'while away', status: 'sending', own: true, seq: null });
      expect(socket.framesOf('send')).toEqual([]);
    });

    it('keeps queued messages in storage', () => {
      const h = setup();
      h.client.setName('alice');
      h.client.join('general');
      const result = h.client.send('general', 'offline hello');
      const stored = h.storage.getItem(STORAGE_KEYS.outbox) ?? '';
      expect(result.ok && stored.includes(result.id)).toBe(true);
      expect(stored).toContain('offline hello');
    });

    it('resends unacked messages with their original ids after the joins', () => {
      const h = setup({ random: () => 0 });
      const socket = h.signIn();
      const first = h.client.send('general', 'one');
      expect(socket.framesOf('send')).toHaveLength(1);
      socket.serverClose(1006);
      const second = h.client.send('general', 'two');

      const next = h.reconnect();
      const frames = next.frames();
      expect(frames.map((frame) => frame.type)).toEqual(['hello', 'join', 'send', 'send', 'ping']);
      expect(next.framesOf('send')).toEqual([
        { type: 'send', room: 'general', id: first.ok ? first.id : '', text: 'one' },
        { type: 'send', room: 'general', id: second.ok ? second.id : '', text: 'two' },
      ]);
    });

    it('on ack removes the message from the outbox and shows it by seq; the echo adds nothing', () => {
      const h = setup();
      const socket = h.signIn(range('general', 1, 3));
      const result = h.client.send('general', 'hi');
      if (!result.ok) throw new Error('send refused');
      const [frame] = socket.framesOf('send');
      expect(frame).toEqual({ type: 'send', room: 'general', id: result.id, text: 'hi' });
      expect(result.id).toMatch(/^c_[A-Za-z0-9_-]{22}$/);

      socket.deliver({ type: 'ack', room: 'general', id: result.id, seq: 4, ts: 1234 });
      expect(h.state.outbox.items).toEqual([]);
      const own = { room: 'general', seq: 4, ts: 1234, id: result.id, from: alice, text: 'hi' };
      expect(h.messagesOf('general').at(-1)).toEqual(own);
      const before = h.state.messages;
      socket.deliver({ type: 'message', ...own });
      expect(h.state.messages).toBe(before);
      expect(h.messagesOf('general')).toHaveLength(4);
      expect(h.state.rooms.byName.general?.unread).toBe(0);
      expect(h.storage.getItem(STORAGE_KEYS.outbox)).not.toContain(result.id);
    });

    it('marks a send failed on an error with its id; retry resends it with the same id; discard drops it', () => {
      const h = setup();
      const socket = h.signIn();
      const result = h.client.send('general', 'x');
      if (!result.ok) throw new Error('send refused');
      socket.deliver({
        type: 'error',
        code: 'text_too_long',
        message: 'too long',
        id: result.id,
        room: 'general',
      });
      expect(h.state.outbox.items[0]).toMatchObject({
        id: result.id,
        state: 'failed',
        error: 'text_too_long',
      });

      h.client.retry(result.id);
      expect(h.state.outbox.items[0]).toEqual(expect.objectContaining({ state: 'sending' }));
      expect(h.state.outbox.items[0]?.error).toBeUndefined();
      expect(socket.framesOf('send').map((frame) => frame.id)).toEqual([result.id, result.id]);

      socket.deliver({ type: 'error', code: 'not_in_room', message: 'no', id: result.id, room: 'general' });
      h.client.discard(result.id);
      expect(h.state.outbox.items).toEqual([]);
    });

    it('does not resend failed messages after a reconnect', () => {
      const h = setup({ random: () => 0 });
      const socket = h.signIn();
      const result = h.client.send('general', 'x');
      if (!result.ok) throw new Error('send refused');
      socket.deliver({ type: 'error', code: 'not_in_room', message: 'join first', id: result.id });
      socket.serverClose(1006);
      expect(h.reconnect().framesOf('send')).toEqual([]);
      expect(h.state.outbox.items[0]?.state).toBe('failed');
    });

    it('retries a rate-limited send after a short pause instead of failing it', () => {
      const h = setup({ random: () => 0 });
      const socket = h.signIn();
      const result = h.client.send('general', 'fast');
      if (!result.ok) throw new Error('send refused');
      socket.deliver({ type: 'error', code: 'rate_limited', message: 'slow down', id: result.id });
      expect(h.state.outbox.items[0]?.state).toBe('sending');
      vi.advanceTimersByTime(900);
      expect(socket.framesOf('send')).toHaveLength(1);
      vi.advanceTimersByTime(1_000);
      expect(socket.framesOf('send').map((frame) => frame.id)).toEqual([result.id, result.id]);
    });

    it('keeps a send the server could not store (internal) and resends it with the same id', () => {
      const h = setup({ random: () => 0 });
      const socket = h.signIn();
      const result = h.client.send('general', 'stored later');
      if (!result.ok) throw new Error('send refused');
      socket.deliver({ type: 'error', code: 'internal', message: 'store is away', id: result.id });
      expect(h.state.outbox.items[0]?.state).toBe('sending');
      vi.advanceTimersByTime(1_900);
      expect(socket.framesOf('send')).toHaveLength(1);
      vi.advanceTimersByTime(200);
      expect(socket.framesOf('send').map((frame) => frame.id)).toEqual([result.id, result.id]);
    });

    it('paces a long outbox to the server rate: a burst of 20, then 10 a second', () => {
      const h = setup({ random: () => 0 });
      const socket = h.signIn();
      for (let i = 0; i < 40; i++) h.client.send('general', `m${i}`);
      expect(socket.framesOf('send')).toHaveLength(20);
      vi.advanceTimersByTime(1_000);
      expect(socket.framesOf('send')).toHaveLength(30);
      vi.advanceTimersByTime(1_000);
      expect(socket.framesOf('send').map((frame) => frame.text)).toEqual(
        Array.from({ length: 40 }, (_, i) => `m${i}`),
      );
    });

    it(`reports a full outbox at ${OUTBOX_LIMIT} messages`, () => {
      const h = setup();
      h.client.join('general');
      for (let i = 0; i < OUTBOX_LIMIT; i++) expect(h.client.send('general', `m${i}`).ok).toBe(true);
      expect(h.state.outbox.full).toBe(true);
      expect(h.client.send('general', 'one more')).toEqual({ ok: false, reason: 'full' });
      expect(h.state.outbox.items).toHaveLength(OUTBOX_LIMIT);
      h.client.discard(h.state.outbox.items[0]!.id);
      expect(h.state.outbox.full).toBe(false);
    });

    it('refuses empty and too long texts and rooms it is not in', () => {
      const h = setup();
      h.client.join('general');
      expect(h.client.send('general', ' \n\u3000')).toEqual({ ok: false, reason: 'empty' });
      expect(h.client.send('general', 'x'.repeat(4001))).toEqual({ ok: false, reason: 'too_long' });
      expect(h.client.send('general', '😀'.repeat(4000)).ok).toBe(true);
      expect(h.client.send('elsewhere', 'hi')).toEqual({ ok: false, reason: 'not_in_room' });
    });
  });

  describe('rooms', () => {
    it('joins a room, selects it, and leaves it', () => {
      const h = setup();
      const socket = h.signIn();
      expect(h.client.join('random')).toEqual({ ok: true });
      expect(socket.framesOf('join')).toEqual([{ type: 'join', room: 'random' }]);
      expect(h.state.rooms).toMatchObject({ order: ['general', 'random'], current: 'random' });
      socket.deliver(joinedFrame('random', range('random', 1, 2), { members: [bob] }));
      expect(h.state.members.byRoom.random).toEqual([bob]);

      h.client.send('random', 'bye');
      h.client.leave('random');
      expect(socket.framesOf('leave')).toEqual([{ type: 'leave', room: 'random' }]);
      expect(h.state.rooms).toMatchObject({ order: ['general'], current: 'general' });
      expect(h.state.messages.byRoom.random).toBeUndefined();
      expect(h.state.outbox.items).toEqual([]);
      socket.deliver({ type: 'left', room: 'random' });
      socket.deliver(joinedFrame('random'));
      expect(h.state.rooms.order).toEqual(['general']);
    });

    it('refuses invalid room names and more than 20 rooms', () => {
      const h = setup();
      expect(h.client.join('Not Valid')).toEqual({ ok: false, reason: 'invalid_room' });
      for (let i = 0; i < 20; i++) expect(h.client.join(`r${i}`)).toEqual({ ok: true });
      expect(h.client.join('r20')).toEqual({ ok: false, reason: 'too_many_rooms' });
    });

    it('tracks members through presence', () => {
      const h = setup();
      const socket = h.signIn();
      const carol = { id: 'u_carol', name: 'carol' };
      socket.deliver({ type: 'presence', room: 'general', user: carol, state: 'joined' });
      expect(h.state.members.byRoom.general).toEqual([alice, bob, carol]);
      socket.deliver({ type: 'presence', room: 'general', user: bob, state: 'left' });
      expect(h.state.members.byRoom.general).toEqual([alice, carol]);
    });

    it('loads older messages before the oldest held, 50 at a time', () => {
      const h = setup();
      const socket = h.signIn();
      socket.deliver(joinedFrame('general', range('general', 51, 100), { hasMore: true }));
      expect(h.client.loadOlder('general')).toBe(true);
      expect(h.client.loadOlder('general')).toBe(false);
      expect(socket.framesOf('history')).toEqual([
        { type: 'history', room: 'general', limit: 50, before: 51 },
      ]);
      expect(h.state.rooms.byName.general?.loadingOlder).toBe(true);
      socket.deliver({ type: 'history', room: 'general', messages: range('general', 1, 50), hasMore: false });
      expect(h.messagesOf('general')).toHaveLength(100);
      expect(h.state.rooms.byName.general).toMatchObject({ loadingOlder: false, hasMore: false });
      expect(h.client.loadOlder('general')).toBe(false);
    });

    it('lists the rooms on the server', () => {
      const h = setup();
      const socket = h.signIn();
      h.client.listRooms();
      expect(socket.framesOf('rooms')).toEqual([{ type: 'rooms' }]);
      expect(h.state.directory.loading).toBe(true);
      socket.deliver({ type: 'rooms', rooms: [{ name: 'general', members: 2, seq: 0 }] });
      expect(h.state.directory).toEqual({
        rooms: [{ name: 'general', members: 2, seq: 0 }],
        loading: false,
        updatedAt: Date.now(),
      });
    });
  });

  describe('typing', () => {
    it('sends typing at most once per 2 s per room, and never queues it', () => {
      const h = setup({ random: () => 0 });
      const socket = h.signIn();
      h.client.typing('general');
      h.client.typing('general');
      vi.advanceTimersByTime(1_999);
      h.client.typing('general');
      expect(socket.framesOf('typing')).toEqual([{ type: 'typing', room: 'general' }]);
      vi.advanceTimersByTime(1);
      h.client.typing('general');
      expect(socket.framesOf('typing')).toHaveLength(2);

      socket.serverClose(1006);
      h.client.typing('general');
      expect(h.reconnect().framesOf('typing')).toEqual([]);
    });

    it('shows who else is typing for 3 s after their last signal', () => {
      const h = setup();
      const socket = h.signIn();
      socket.deliver({ type: 'typing', room: 'general', user: bob });
      socket.deliver({ type: 'typing', room: 'general', user: alice });
      expect(typingNames(h.state.typing, 'general', alice.id)).toEqual(['bob']);
      vi.advanceTimersByTime(2_000);
      socket.deliver({ type: 'typing', room: 'general', user: bob });
      vi.advanceTimersByTime(2_999);
      expect(typingNames(h.state.typing, 'general', alice.id)).toEqual(['bob']);
      vi.advanceTimersByTime(1);
      expect(h.state.typing.byRoom).toEqual({});
    });

    it('stops showing someone as typing when their message arrives', () => {
      const h = setup();
      const socket = h.signIn();
      socket.deliver({ type: 'typing', room: 'general', user: bob });
      socket.deliver({ type: 'message', ...message('general', 1) });
      expect(typingNames(h.state.typing, 'general', alice.id)).toEqual([]);
    });
  });

  describe('reload', () => {
    it('restores the token, rooms, outbox and last messages from storage', () => {
      const storage = new MemoryStorage();
      const before = setup({ storage });
      const socket = before.signIn(range('general', 1, 250));
      before.client.join('random');
      socket.deliver(joinedFrame('random', range('random', 1, 2), { epoch: 'e_r' }));
      before.client.select('general');
      socket.serverClose(1006);
      const queued = before.client.send('random', 'not yet sent');
      if (!queued.ok) throw new Error('send refused');
      // The page goes away before the debounced write.
      before.environment.pagehide();

      const h = setup({ storage, random: () => 0 });
      expect(h.state.session.user).toEqual(alice);
      expect(h.state.rooms).toMatchObject({ order: ['general', 'random'], current: 'general' });
      expect(h.messagesOf('general').map((m) => m.seq)).toEqual(range('general', 51, 250).map((m) => m.seq));
      expect(h.state.rooms.byName.general).toMatchObject({ epoch: 'e1', seq: 250, hasMore: true });
      expect(h.state.outbox.items).toEqual([expect.objectContaining({ id: queued.id, state: 'sending' })]);

      h.client.start();
      const next = h.welcome();
      expect(next.frames()).toEqual([
        { type: 'hello', v: 1, name: 'alice', token: 't_alice' },
        { type: 'join', room: 'general', since: 250, epoch: 'e1' },
        { type: 'join', room: 'random', since: 2, epoch: 'e_r' },
        { type: 'send', room: 'random', id: queued.id, text: 'not yet sent' },
        { type: 'ping', t: expect.any(Number) as number },
      ]);
    });

    it('starts clean from corrupt or foreign storage', () => {
      const storage = new MemoryStorage();
      storage.setItem(STORAGE_KEYS.session, '{not json');
      storage.setItem(STORAGE_KEYS.rooms, JSON.stringify({ v: 99, data: { order: ['general'] } }));
      storage.setItem(STORAGE_KEYS.outbox, JSON.stringify({ v: 1, data: [{ id: 42 }, null] }));
      const h = setup({ storage });
      h.client.start();
      expect(h.state.session.user).toBeNull();
      expect(h.state.rooms.order).toEqual([]);
      expect(h.state.outbox.items).toEqual([]);
      expect(h.state.connection.status).toEqual({ kind: 'idle' });
    });

    it('keeps working when storage refuses writes', () => {
      const storage = new MemoryStorage();
      storage.full = true;
      const h = setup({ storage });
      const socket = h.signIn(range('general', 1, 3));
      expect(h.client.send('general', 'still sent').ok).toBe(true);
      expect(socket.framesOf('send')).toHaveLength(1);
    });
  });
});
