/**
 * ChatClient as a whole, over a fake socket: its life (start, stop, a refused
 * protocol version), resuming after a reconnect, rooms, and a reload from
 * storage. Session, sending and typing have files of their own beside their
 * modules; the link itself (backoff, heartbeat) is socket.test.ts.
 */
import { describe, expect, it, vi } from 'vitest';

import { STORAGE_KEYS } from '../state/persistence';
import { setupClient } from '../test/clientHarness';
import { FAKE_NOW, MemoryStorage, fakeTimersEachTest } from '../test/fakes';
import { alice, bob, joinedFrame, message, range } from '../test/frames';

fakeTimersEachTest(FAKE_NOW);

describe('ChatClient', () => {
  describe('reconnect', () => {
    it('shows the unsupported_version error as failed', () => {
      const h = setupClient();
      h.startAs('alice').open();
      h.socket.deliver({ type: 'error', code: 'unsupported_version', message: 'v2 only' });
      h.socket.serverClose(1002);
      expect(h.state.connection.status).toMatchObject({ kind: 'failed', code: 1002 });
    });

    it('closes cleanly on stop and can start again (React StrictMode)', () => {
      const h = setupClient();
      const first = h.startAs('alice');
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

    it("keeps the socket's status and round trip in the store", () => {
      const h = setupClient({ random: () => 0.5 });
      h.startAs('alice');
      expect(h.state.connection.status).toEqual({ kind: 'connecting', attempt: 0 });
      const socket = h.welcome();
      expect(h.state.connection.status).toEqual({ kind: 'open', since: performance.now() });
      const [ping] = socket.framesOf('ping');
      vi.advanceTimersByTime(42);
      socket.deliver({ type: 'pong', t: ping!.t });
      expect(h.state.connection.rttMs).toBe(42);
      socket.serverClose(1006);
      expect(h.state.connection.status).toEqual({
        kind: 'reconnecting',
        attempt: 1,
        retryAt: performance.now() + 250,
      });
      h.environment.goOffline();
      expect(h.state.connection.status).toEqual({ kind: 'offline' });
    });
  });

  describe('resume', () => {
    it('says hello with the token and joins every room with since and epoch', () => {
      const h = setupClient({ random: () => 0 });
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
      const h = setupClient({ random: () => 0 });
      const socket = h.signIn(range('general', 1, 3));
      socket.serverClose(1006);
      h.reconnect([joinedFrame('general', range('general', 2, 6))]);
      h.socket.deliver({ type: 'message', ...message('general', 6) });
      expect(h.messagesOf('general').map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(h.state.rooms.byName.get('general')).toMatchObject({ seq: 6, joined: true });
    });

    it('drops what it kept of a room whose epoch changed', () => {
      const h = setupClient({ random: () => 0 });
      const socket = h.signIn(range('general', 1, 3));
      socket.serverClose(1006);
      const reset = [message('general', 1, bob, 'after the reset')];
      h.reconnect([joinedFrame('general', reset, { epoch: 'e2' })]);
      expect(h.messagesOf('general')).toEqual(reset);
      expect(h.state.rooms.byName.get('general')?.epoch).toBe('e2');
    });

    it('drops what it kept when the resume does not reach back to it', () => {
      const h = setupClient({ random: () => 0 });
      const socket = h.signIn(range('general', 1, 3));
      socket.serverClose(1006);
      h.reconnect([joinedFrame('general', range('general', 600, 1099), { hasMore: true })]);
      const seqs = h.messagesOf('general').map((m) => m.seq);
      expect(seqs[0]).toBe(600);
      expect(seqs).toHaveLength(500);
      expect(h.state.rooms.byName.get('general')?.hasMore).toBe(true);
    });

    it('resumes after the last gap-free seq when an ack arrived before an earlier message', () => {
      const h = setupClient({ random: () => 0 });
      const socket = h.signIn(range('general', 1, 3));
      const id = h.mustSend('general', 'hi');
      socket.deliver({ type: 'ack', room: 'general', id, seq: 5, ts: Date.now() });
      socket.serverClose(1006);
      const next = h.reconnect();
      expect(next.framesOf('join')).toEqual([{ type: 'join', room: 'general', since: 3, epoch: 'e1' }]);
    });

    it('counts messages from others that arrive in rooms that are not current as unread', () => {
      const h = setupClient({ random: () => 0 });
      const socket = h.signIn(range('general', 1, 3));
      h.client.join('random');
      socket.deliver(joinedFrame('random', range('random', 1, 2), { epoch: 'e_r' }));
      expect(h.state.rooms.current).toBe('random');
      socket.deliver({ type: 'message', ...message('general', 4) });
      socket.deliver({ type: 'message', ...message('general', 5, alice) });
      socket.deliver({ type: 'message', ...message('random', 3) });
      expect(h.state.rooms.byName.get('general')?.unread).toBe(1);
      expect(h.state.rooms.byName.get('random')?.unread).toBe(0);

      socket.serverClose(1006);
      h.reconnect([
        joinedFrame('general', range('general', 4, 7), { epoch: 'e1' }),
        joinedFrame('random', range('random', 4, 4), { epoch: 'e_r' }),
      ]);
      expect(h.state.rooms.byName.get('general')?.unread).toBe(3);
      h.client.select('general');
      expect(h.state.rooms.byName.get('general')?.unread).toBe(0);
    });
  });

  describe('rooms', () => {
    it('joins a room, selects it, and leaves it', () => {
      const h = setupClient();
      const socket = h.signIn();
      expect(h.client.join('random')).toEqual({ ok: true });
      expect(socket.framesOf('join')).toEqual([{ type: 'join', room: 'random' }]);
      expect(h.state.rooms).toMatchObject({ order: ['general', 'random'], current: 'random' });
      socket.deliver(joinedFrame('random', range('random', 1, 2), { members: [bob] }));
      expect(h.state.members.byRoom.get('random')).toEqual([bob]);

      h.client.send('random', 'bye');
      h.client.leave('random');
      expect(socket.framesOf('leave')).toEqual([{ type: 'leave', room: 'random' }]);
      expect(h.state.rooms).toMatchObject({ order: ['general'], current: 'general' });
      expect(h.state.messages.byRoom.get('random')).toBeUndefined();
      expect(h.state.outbox.items).toEqual([]);
      socket.deliver({ type: 'left', room: 'random' });
      socket.deliver(joinedFrame('random'));
      expect(h.state.rooms.order).toEqual(['general']);
    });

    it('refuses invalid room names and more than 20 rooms', () => {
      const h = setupClient();
      expect(h.client.join('Not Valid')).toEqual({ ok: false, reason: 'invalid_room' });
      for (let i = 0; i < 20; i++) expect(h.client.join(`r${i}`)).toEqual({ ok: true });
      expect(h.client.join('r20')).toEqual({ ok: false, reason: 'too_many_rooms' });
    });

    it('tracks members through presence', () => {
      const h = setupClient();
      const socket = h.signIn();
      const carol = { id: 'u_carol', name: 'carol' };
      socket.deliver({ type: 'presence', room: 'general', user: carol, state: 'joined' });
      expect(h.state.members.byRoom.get('general')).toEqual([alice, bob, carol]);
      socket.deliver({ type: 'presence', room: 'general', user: bob, state: 'left' });
      expect(h.state.members.byRoom.get('general')).toEqual([alice, carol]);
    });

    it('loads older messages before the oldest held, 50 at a time', () => {
      const h = setupClient();
      const socket = h.signIn();
      socket.deliver(joinedFrame('general', range('general', 51, 100), { hasMore: true }));
      expect(h.client.loadOlder('general')).toBe(true);
      expect(h.client.loadOlder('general')).toBe(false);
      expect(socket.framesOf('history')).toEqual([
        { type: 'history', room: 'general', limit: 50, before: 51 },
      ]);
      expect(h.state.rooms.byName.get('general')?.loadingOlder).toBe(true);
      socket.deliver({ type: 'history', room: 'general', messages: range('general', 1, 50), hasMore: false });
      expect(h.messagesOf('general')).toHaveLength(100);
      expect(h.state.rooms.byName.get('general')).toMatchObject({ loadingOlder: false, hasMore: false });
      expect(h.client.loadOlder('general')).toBe(false);
    });

    it('lists the rooms on the server, a first page of them', () => {
      const h = setupClient();
      const socket = h.signIn();
      h.client.listRooms();
      expect(socket.framesOf('rooms')).toEqual([{ type: 'rooms', limit: 20 }]);
      expect(h.state.directory.loading).toBe(true);
      socket.deliver({ type: 'rooms', rooms: [{ name: 'general', members: 2, seq: 0 }] });
      expect(h.state.directory).toEqual({
        rooms: [{ name: 'general', members: 2, seq: 0 }],
        prefix: '',
        hasMore: false,
        loading: false,
        updatedAt: Date.now(),
        error: null,
      });
    });
  });

  describe('reload', () => {
    it('restores the token, rooms, outbox and last messages from storage', () => {
      const storage = new MemoryStorage();
      const before = setupClient({ storage });
      const socket = before.signIn(range('general', 1, 250));
      before.client.join('random');
      socket.deliver(joinedFrame('random', range('random', 1, 2), { epoch: 'e_r' }));
      before.client.select('general');
      socket.serverClose(1006);
      const queued = before.mustSend('random', 'not yet sent');
      // The page goes away before the debounced write.
      before.environment.pagehide();

      const h = setupClient({ storage, random: () => 0 });
      expect(h.state.session.user).toEqual(alice);
      expect(h.state.rooms).toMatchObject({ order: ['general', 'random'], current: 'general' });
      expect(h.messagesOf('general').map((m) => m.seq)).toEqual(range('general', 51, 250).map((m) => m.seq));
      expect(h.state.rooms.byName.get('general')).toMatchObject({ epoch: 'e1', seq: 250, hasMore: true });
      expect(h.state.outbox.items).toEqual([expect.objectContaining({ id: queued, state: 'sending' })]);

      h.client.start();
      const next = h.welcome();
      expect(next.frames()).toEqual([
        { type: 'hello', v: 1, name: 'alice', token: 't_alice' },
        { type: 'join', room: 'general', since: 250, epoch: 'e1' },
        { type: 'join', room: 'random', since: 2, epoch: 'e_r' },
        { type: 'send', room: 'random', id: queued, text: 'not yet sent' },
        { type: 'ping', t: expect.any(Number) as number },
      ]);
    });

    it('starts clean from corrupt or foreign storage', () => {
      const storage = new MemoryStorage();
      storage.setItem(STORAGE_KEYS.session, '{not json');
      storage.setItem(STORAGE_KEYS.rooms, JSON.stringify({ v: 99, data: { order: ['general'] } }));
      storage.setItem(STORAGE_KEYS.outbox, JSON.stringify({ v: 1, data: [{ id: 42 }, null] }));
      const h = setupClient({ storage });
      h.client.start();
      expect(h.state.session.user).toBeNull();
      expect(h.state.rooms.order).toEqual([]);
      expect(h.state.outbox.items).toEqual([]);
      expect(h.state.connection.status).toEqual({ kind: 'idle' });
    });

    it('keeps working when storage refuses writes', () => {
      const storage = new MemoryStorage();
      storage.full = true;
      const h = setupClient({ storage });
      const socket = h.signIn(range('general', 1, 3));
      expect(h.client.send('general', 'still sent').ok).toBe(true);
      expect(socket.framesOf('send')).toHaveLength(1);
    });
  });
});
