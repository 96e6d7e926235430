/**
 * ReconnectingSocket on its own, over a fake WebSocket and environment, with
 * fake timers: backoff, the online/offline and visibility signals, superseded
 * sockets, the handshake timeout and the heartbeat. The harness
 * (src/test/socketHarness.ts) stands in for ChatClient. The restart hint's
 * pace is retryPlan.test.ts, asking /readyz readyProbe.test.ts.
 */
import { describe, expect, it, vi } from 'vitest';

import { FAKE_NOW, fakeTimersEachTest } from '../test/fakes';
import type { FakeWebSocket } from '../test/fakes';
import { HEARTBEAT, RECONNECT_WAIT, joinedFrame, message, range, welcomeFrame } from '../test/frames';
import { setupSocket } from '../test/socketHarness';
import type { SocketHarness } from '../test/socketHarness';
import { CLIENT_RECONNECT_CLOSE } from './socket';

fakeTimersEachTest(FAKE_NOW);

describe('ReconnectingSocket', () => {
  describe('reconnect', () => {
    /** Closes the current socket before it opens and returns the delay the socket chose. */
    function failAttempt(h: SocketHarness, code = 1006): number {
      h.socket.serverClose(code);
      const status = h.state.connection.status;
      if (status.kind !== 'reconnecting') throw new Error(`expected reconnecting, got ${status.kind}`);
      return status.retryAt - performance.now();
    }

    /** Signs in, then the server closes the socket with `code`. */
    function closedAfterSignIn(code: number, random: () => number): SocketHarness {
      const h = setupSocket({ random });
      h.signIn();
      h.socket.serverClose(code);
      return h;
    }

    it('waits a full-jitter exponential delay before each attempt, capped at 10 s', () => {
      const h = setupSocket({ random: () => 0.9999 });
      h.link.start();
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
      const h = setupSocket({ random: () => values.shift() ?? 0 });
      h.link.start();
      const delays: number[] = [];
      for (let attempt = 1; attempt <= 3; attempt++) {
        delays.push(failAttempt(h));
        vi.advanceTimersByTime(RECONNECT_WAIT);
      }
      expect(delays).toEqual([0, 500, 500]);
    });

    it('resets the attempt count once a connection stayed up 10 s, and not before', () => {
      const h = setupSocket({ random: () => 0.9999 });
      h.link.start();
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
      const h = closedAfterSignIn(1013, () => 0);
      vi.advanceTimersByTime(4_999);
      expect(h.sockets).toHaveLength(1);
      vi.advanceTimersByTime(1);
      expect(h.sockets).toHaveLength(2);
    });

    it('keeps the 5 s pause after a 1013 when the page becomes visible or the network returns', () => {
      const h = closedAfterSignIn(1013, () => 0);
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
        const h = closedAfterSignIn(code, () => 0);
        expect(h.state.connection.status).toMatchObject({ kind: 'failed', code });
        vi.advanceTimersByTime(120_000);
        h.environment.goOnline();
        h.environment.show();
        expect(h.sockets).toHaveLength(1);

        h.link.retryNow();
        expect(h.sockets).toHaveLength(2);
      },
    );

    it('starts the next attempt at once on the online event', () => {
      const h = closedAfterSignIn(1006, () => 0.9999);
      expect(h.state.connection.status.kind).toBe('reconnecting');
      h.environment.goOnline();
      expect(h.sockets).toHaveLength(2);
      expect(h.state.connection.status.kind).toBe('connecting');
    });

    it('waits for the online event while the browser is offline', () => {
      const h = setupSocket();
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
      const h = closedAfterSignIn(1006, () => 0.9999);
      h.environment.goOffline();
      expect(h.state.connection.status).toEqual({ kind: 'offline' });
      vi.advanceTimersByTime(120_000);
      expect(h.sockets).toHaveLength(1);
    });

    it('shows Offline at once on the offline event, drops the socket with 4000, and connects on online', () => {
      const h = setupSocket();
      const socket = h.signIn();
      h.environment.goOffline();
      expect(h.state.connection.status).toEqual({ kind: 'offline' });
      expect(socket.closedByClient?.code).toBe(CLIENT_RECONNECT_CLOSE);
      expect(h.state.closes).toBe(1);
      expect(h.link.phase).toBe('closed');
      // The close completing later changes nothing, and nothing is tried offline.
      socket.finishClose();
      vi.advanceTimersByTime(120_000);
      expect(h.sockets).toHaveLength(1);
      expect(h.state.connection.status).toEqual({ kind: 'offline' });

      h.environment.goOnline();
      expect(h.sockets).toHaveLength(2);
      expect(h.state.connection.status.kind).toBe('connecting');
    });

    it('drops an attempt under way when the browser goes offline', () => {
      const h = setupSocket();
      h.link.start();
      const opening = h.socket;
      h.environment.goOffline();
      expect(opening.closedByClient?.code).toBe(CLIENT_RECONNECT_CLOSE);
      expect(h.state.connection.status).toEqual({ kind: 'offline' });
      opening.open();
      expect(opening.sent).toEqual([]);
    });

    it('leaves a failed or idle status alone when the browser goes offline', () => {
      const h = closedAfterSignIn(1008, () => 0);
      h.environment.goOffline();
      expect(h.state.connection.status).toMatchObject({ kind: 'failed', code: 1008 });
    });

    it('starts the next attempt at once when the page becomes visible', () => {
      const h = setupSocket({ random: () => 0.9999 });
      h.signIn();
      h.environment.hide();
      h.socket.serverClose(1006);
      h.environment.show();
      expect(h.sockets).toHaveLength(2);
    });

    it('reconnects at once on retryNow', () => {
      const h = closedAfterSignIn(1001, () => 0.9999);
      h.link.retryNow();
      expect(h.sockets).toHaveLength(2);
    });

    it('ignores events from a socket it has already replaced', () => {
      const h = setupSocket();
      h.link.start();
      const stale = h.socket;
      h.link.retryNow();
      const current = h.socket;
      expect(current).not.toBe(stale);
      expect(stale.closedByClient?.code).toBe(CLIENT_RECONNECT_CLOSE);

      stale.open();
      stale.deliver(welcomeFrame());
      stale.deliver(joinedFrame('general', range('general', 1, 5)));
      stale.serverClose(1008);
      expect(stale.sent).toEqual([]);
      expect(h.state.connection.status).toEqual({ kind: 'connecting', attempt: 0 });
      expect(h.state.frames).toEqual([]);
      expect(h.state.closes).toBe(1); // the stale socket's release, not its late close
      // Well past any backoff, short of the handshake timeout of the current socket.
      vi.advanceTimersByTime(15_000);
      expect(h.sockets).toHaveLength(2);

      current.open();
      expect(current.framesOf('hello')).toHaveLength(1);
    });

    it('drops a socket that opens but never says welcome', () => {
      const h = setupSocket();
      h.link.start();
      h.socket.open();
      vi.advanceTimersByTime(19_999);
      expect(h.socket.closedByClient).toBeNull();
      vi.advanceTimersByTime(1);
      expect(h.socket.closedByClient?.code).toBe(CLIENT_RECONNECT_CLOSE);
      expect(h.state.connection.status.kind).toBe('reconnecting');
    });
  });

  describe('heartbeat', () => {
    function pings(socket: FakeWebSocket): number[] {
      return socket.framesOf('ping').map((frame) => frame.t);
    }

    /**
     * Signs in; the first ping goes out and the machine sleeps `sleepMs` right
     * after it, so the ping's deadline fires late: the link is not judged dead
     * on that alone.
     */
    function afterLateDeadline(sleepMs: number): { h: SocketHarness; socket: FakeWebSocket } {
      const h = setupSocket();
      const socket = h.signIn();
      vi.advanceTimersByTime(25_000);
      h.sleep(sleepMs);
      vi.advanceTimersByTime(10_000);
      expect(socket.closedByClient).toBeNull();
      return { h, socket };
    }

    it('pings every intervalMs and records the round trip', () => {
      const h = setupSocket();
      const socket = h.signIn();
      vi.advanceTimersByTime(24_999);
      expect(pings(socket)).toEqual([]);
      vi.advanceTimersByTime(1);
      const [t] = pings(socket);
      expect(t).toBe(performance.now());
      vi.advanceTimersByTime(42);
      socket.deliver({ type: 'pong', t: t! });
      expect(h.state.connection.rttMs).toBe(42);
      vi.advanceTimersByTime(25_000);
      expect(pings(socket)).toHaveLength(2);
      expect(h.state.connection.status.kind).toBe('open');
    });

    it('finds a silent socket within timeoutMs after a ping', () => {
      const h = setupSocket();
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
      const h = setupSocket();
      const socket = h.signIn();
      vi.advanceTimersByTime(25_000);
      socket.deliver({ type: 'message', ...message('general', 1) });
      vi.advanceTimersByTime(10_000);
      expect(socket.closedByClient).toBeNull();
    });

    it('does not take a late deadline for a dead link: it pings again and judges by the answer', () => {
      const { h, socket } = afterLateDeadline(3_600_000);
      const [, fresh] = pings(socket);
      expect(fresh).toBe(performance.now() + 3_600_000);

      vi.advanceTimersByTime(30);
      socket.deliver({ type: 'pong', t: fresh! });
      vi.advanceTimersByTime(10_000);
      expect(socket.closedByClient).toBeNull();
      expect(h.state.connection.status.kind).toBe('open');
      expect(h.state.connection.rttMs).toBe(30);
    });

    it('finds the link dead when the fresh ping after a late deadline gets no answer', () => {
      const { socket } = afterLateDeadline(600_000);
      vi.advanceTimersByTime(10_000);
      expect(socket.closedByClient?.code).toBe(CLIENT_RECONNECT_CLOSE);
    });

    it('does not take a late ping timer for a dead link', () => {
      const h = setupSocket();
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
      const h = setupSocket();
      const socket = h.signIn();
      vi.advanceTimersByTime(5_000);
      h.environment.hide();
      h.environment.show();
      expect(pings(socket)).toEqual([performance.now()]);
      vi.advanceTimersByTime(10_000);
      expect(socket.closedByClient?.code).toBe(CLIENT_RECONNECT_CLOSE);
    });

    it('ignores the close event that a dropped socket fires later', () => {
      const h = setupSocket({ random: () => 0.9999 });
      const socket = h.signIn();
      vi.advanceTimersByTime(35_000);
      const status = h.state.connection.status;
      expect(status.kind).toBe('reconnecting');
      socket.finishClose();
      expect(h.state.connection.status).toEqual(status);
    });
  });

  describe('handlers', () => {
    it('passes every frame but pong to the client, and ignores what is not a server frame', () => {
      const h = setupSocket();
      const socket = h.signIn();
      const frames = h.state.frames.length;
      socket.deliver({ type: 'pong', t: performance.now() });
      socket.deliver('<html>502 Bad Gateway</html>');
      socket.deliver({ type: 'message', ...message('general', 1) });
      expect(h.state.frames.slice(frames)).toEqual([{ type: 'message', ...message('general', 1) }]);
      expect(h.state.connection.rttMs).toBe(0);
    });

    it('tells the client once when its socket is gone, before the status that follows', () => {
      const h = setupSocket({ random: () => 0 });
      const socket = h.signIn();
      expect(h.state.closes).toBe(0);
      socket.serverClose(1006);
      expect(h.state.closes).toBe(1);
      expect(h.link.phase).toBe('closed');
      socket.finishClose();
      h.link.stop();
      expect(h.state.closes).toBe(1);
      expect(h.state.connection.status).toEqual({ kind: 'idle' });
    });

    it('goes from connecting to open to ready with the session', () => {
      const h = setupSocket();
      expect(h.link.phase).toBe('closed');
      h.link.start();
      expect(h.link.phase).toBe('connecting');
      h.socket.open();
      expect(h.link.phase).toBe('open');
      expect(h.socket.framesOf('hello')).toHaveLength(1);
      h.link.ready(HEARTBEAT);
      expect(h.link.phase).toBe('ready');
      expect(h.state.connection.status).toEqual({ kind: 'open', since: performance.now() });
    });
  });
});
