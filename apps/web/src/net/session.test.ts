/**
 * The session, through ChatClient over a fake socket: hello with or without a
 * token, names chosen, refused and changed, a forgotten token, sign-out.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';

import { STORAGE_KEYS } from '../state/persistence';
import { setupClient } from '../test/clientHarness';
import type { ClientHarness } from '../test/clientHarness';
import { FAKE_NOW, MemoryStorage, fakeTimersEachTest } from '../test/fakes';
import { RECONNECT_WAIT, alice, range, welcomeFrame } from '../test/frames';
import { CLIENT_RECONNECT_CLOSE } from './socket';
import { loadNameRules } from './text';

fakeTimersEachTest(FAKE_NOW);
// The protocol's name rules are a chunk the page loads when a name is chosen.
beforeAll(() => loadNameRules());

/**
 * A client that signed in as alice and stopped, then the page reloaded: the
 * new client starts from the same storage (name and token) and its socket is
 * open, its hello said, no answer yet.
 */
function reloadedAfterSignIn(): ClientHarness {
  const storage = new MemoryStorage();
  const first = setupClient({ storage });
  first.signIn();
  first.client.stop();

  const h = setupClient({ storage });
  h.client.start();
  h.socket.open();
  return h;
}

describe('ChatClient', () => {
  describe('session', () => {
    it('stays idle without a name and connects once one is chosen', () => {
      const h = setupClient();
      h.client.start();
      expect(h.state.connection.status).toEqual({ kind: 'idle' });
      expect(h.sockets).toHaveLength(0);

      expect(h.client.setName('  alice ')).toEqual({ ok: true });
      expect(h.state.connection.status).toEqual({ kind: 'connecting', attempt: 0 });
      expect(h.state.session.pendingName).toBe('alice');
      h.socket.open();
      // The default room's join goes out right behind the hello, before the welcome.
      expect(h.socket.frames()).toEqual([
        { type: 'hello', v: 1, name: 'alice' },
        { type: 'join', room: 'general' },
      ]);
      h.socket.deliver(welcomeFrame());
      expect(h.state.session).toEqual({
        user: alice,
        pendingName: null,
        nameError: null,
        nameErrorWaitMs: null,
        suggestedName: null,
        changes: false,
      });
      expect(h.state.connection.status).toEqual({ kind: 'open', since: performance.now() });
    });

    it('joins general and selects it after the first welcome', () => {
      const h = setupClient();
      h.startAs('alice');
      h.welcome();
      expect(h.socket.framesOf('join')).toEqual([{ type: 'join', room: 'general' }]);
      expect(h.state.rooms.order).toEqual(['general']);
      expect(h.state.rooms.current).toBe('general');
    });

    it('resumes every room right behind the hello, and sends no join twice after the welcome', () => {
      const h = reloadedAfterSignIn();
      expect(h.socket.frames().map((frame) => frame.type)).toEqual(['hello', 'join']);
      h.socket.deliver(welcomeFrame());
      expect(h.socket.framesOf('join')).toEqual([{ type: 'join', room: 'general' }]);
    });

    it('joins again after the welcome when the hello its joins were pipelined behind was refused', () => {
      const h = setupClient({ storage: new MemoryStorage() });
      h.signIn();
      h.client.join('random');
      h.socket.serverClose(1006);
      vi.advanceTimersByTime(RECONNECT_WAIT);
      const socket = h.socket;
      socket.open();
      expect(socket.frames().map((frame) => frame.type)).toEqual(['hello', 'join', 'join']);
      // The token was forgotten: the hello is refused, and so are the joins behind it.
      socket.deliver({ type: 'error', code: 'invalid_token', message: 'expired', request: 'hello' });
      for (const room of ['general', 'random']) {
        socket.deliver({
          type: 'error',
          code: 'not_authenticated',
          message: 'say hello first',
          request: 'join',
          room,
        });
      }
      expect(h.state.rooms.byName.get('random')?.error).toBeNull();
      h.client.setName('alice');
      socket.deliver(welcomeFrame());
      expect(
        socket
          .framesOf('join')
          .slice(2)
          .map((frame) => frame.room),
      ).toEqual(['general', 'random']);
    });

    it('refuses an invalid name locally without connecting', () => {
      const h = setupClient();
      h.client.start();
      expect(h.client.setName('   ')).toEqual({ ok: false, reason: 'invalid_name' });
      expect(h.state.session.nameError).toBe('invalid_name');
      expect(h.sockets).toHaveLength(0);
    });

    it('sets nameError on name_taken and says hello again on the same socket with the next name', () => {
      const h = setupClient();
      h.startAs('alice').open();
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
      const h = setupClient();
      h.startAs('alice').open();
      h.socket.deliver({ type: 'error', code: 'invalid_name', message: 'bad' });
      expect(h.state.session.nameError).toBe('invalid_name');
    });

    it('goes idle instead of reconnecting when the server closes a socket that has no name to say', () => {
      const h = setupClient();
      h.startAs('alice').open();
      h.socket.deliver({ type: 'error', code: 'name_taken', message: 'taken' });
      h.socket.serverClose(4408);
      expect(h.state.connection.status).toEqual({ kind: 'idle' });
      vi.advanceTimersByTime(60_000);
      expect(h.sockets).toHaveLength(1);
    });

    it('renames on a new connection and stays who it was when the new name is taken', () => {
      const h = setupClient();
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
        nameErrorWaitMs: null,
        suggestedName: 'bob',
        changes: false,
      });
    });

    it('asks for another name when its saved name was taken meanwhile, without a retry loop', () => {
      const h = reloadedAfterSignIn();
      h.socket.deliver({ type: 'error', code: 'name_taken', message: 'taken' });
      expect(h.state.session).toMatchObject({ user: null, nameError: 'name_taken', suggestedName: 'alice' });
      h.socket.serverClose(4408);
      expect(h.state.connection.status).toEqual({ kind: 'idle' });
      h.client.setName('alice2');
      h.socket.open();
      expect(h.socket.framesOf('hello')).toEqual([{ type: 'hello', v: 1, name: 'alice2', token: 't_alice' }]);
    });

    it('forgets the token on invalid_token and prefills the name picker with the saved name', () => {
      const h = reloadedAfterSignIn();
      expect(h.socket.framesOf('hello')).toEqual([{ type: 'hello', v: 1, name: 'alice', token: 't_alice' }]);
      h.socket.deliver({ type: 'error', code: 'invalid_token', message: 'expired' });
      expect(h.state.session).toEqual({
        user: null,
        pendingName: null,
        nameError: null,
        nameErrorWaitMs: null,
        suggestedName: 'alice',
        changes: false,
      });
      expect(h.storage.getItem(STORAGE_KEYS.session)).not.toContain('t_alice');

      h.client.setName('alice');
      expect(h.socket.framesOf('hello').at(-1)).toEqual({ type: 'hello', v: 1, name: 'alice' });
    });

    it('takes a rename made elsewhere as its own name: the next hello does not rename back', () => {
      const h = setupClient();
      h.signIn();
      h.socket.deliver({ type: 'renamed', user: { id: alice.id, name: 'alicia' } });
      expect(h.state.session.user).toEqual({ id: alice.id, name: 'alicia' });
      expect(h.storage.getItem(STORAGE_KEYS.session)).toContain('"name":"alicia"');

      h.socket.serverClose(1006);
      const socket = h.reconnect([], {});
      expect(socket.framesOf('hello')).toEqual([{ type: 'hello', v: 1, name: 'alicia', token: 't_alice' }]);
    });

    it('says the name another tab was renamed to, not the one this tab last knew', () => {
      const h = setupClient();
      h.signIn();
      h.socket.serverClose(1006);
      // Another tab of the same user took a new name while this one was away.
      h.storage.setItem(
        STORAGE_KEYS.session,
        JSON.stringify({
          v: 1,
          data: { token: 't_alice', user: { ...alice, name: 'alicia' }, name: 'alicia' },
        }),
      );
      vi.advanceTimersByTime(10_000);
      h.socket.open();
      expect(h.socket.framesOf('hello')).toEqual([{ type: 'hello', v: 1, name: 'alicia', token: 't_alice' }]);
    });

    it("keeps our name when someone else's changes", () => {
      const h = setupClient();
      h.signIn();
      const stored = h.storage.getItem(STORAGE_KEYS.session);
      h.socket.deliver({ type: 'renamed', user: { id: 'u_bob', name: 'robert' } });
      expect(h.state.session.user).toEqual(alice);
      expect(h.storage.getItem(STORAGE_KEYS.session)).toBe(stored);
      expect(h.state.members.byRoom.get('general')).toEqual([alice, { id: 'u_bob', name: 'robert' }]);
    });

    it('signs out: closes cleanly, forgets everything and goes idle', () => {
      const h = setupClient();
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
});
