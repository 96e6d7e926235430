/**
 * Liveness runs on the monotonic clock (docs/architecture.md, "The web
 * client"): the computer's wall clock jumping (a manual change, an NTP step,
 * a time zone fix gone wrong) must neither kill a healthy connection nor keep
 * a dead one. `vi.setSystemTime` moves `Date.now` while the fake timers keep
 * `performance.now` monotonic.
 */
import { RECONNECT } from '@tether/protocol/constants';
import { describe, expect, it, vi } from 'vitest';

import { setupClient } from '../test/clientHarness';
import { FAKE_NOW, fakeTimersEachTest } from '../test/fakes';
import type { FakeWebSocket } from '../test/fakes';
import { HEARTBEAT } from '../test/frames';
import { monotonicClock, wallClock } from './env';

fakeTimersEachTest(FAKE_NOW);

const HOUR = 3_600_000;

/** Moves the wall clock by `ms`, and nothing else. */
function jumpWallClock(ms: number): void {
  vi.setSystemTime(Date.now() + ms);
}

/** Answers the latest ping, as a live server does. */
function pong(socket: FakeWebSocket): void {
  const ping = socket.framesOf('ping').at(-1);
  if (ping) socket.deliver({ type: 'pong', t: ping.t });
}

describe('clocks', () => {
  it('are what the defaults say: the monotonic one ignores a jump of the wall clock', () => {
    const before = monotonicClock.now();
    const wallBefore = wallClock.now();
    jumpWallClock(HOUR);
    expect(wallClock.now() - wallBefore).toBe(HOUR);
    expect(monotonicClock.now() - before).toBe(0);
  });

  it('keeps a healthy connection while the wall clock jumps forward and back', () => {
    const h = setupClient();
    const socket = h.signIn();
    for (const jump of [HOUR, -HOUR, -HOUR, 24 * HOUR, 5_000]) {
      // A ping is on its way when the clock jumps; its answer comes a moment later.
      vi.advanceTimersByTime(HEARTBEAT.intervalMs);
      jumpWallClock(jump);
      vi.advanceTimersByTime(30);
      pong(socket);
      // The round trip is measured, not the jump.
      expect(h.state.connection.rttMs).toBeGreaterThanOrEqual(30);
      expect(h.state.connection.rttMs).toBeLessThan(1000);
    }
    expect(socket.closedByClient).toBeNull();
    expect(h.state.connection.status.kind).toBe('open');
  });

  it('drops a dead connection on time, however the wall clock jumps meanwhile', () => {
    for (const jump of [HOUR, -HOUR]) {
      const h = setupClient();
      const socket = h.signIn();
      vi.advanceTimersByTime(HEARTBEAT.intervalMs); // a ping goes out; no answer will come
      jumpWallClock(jump);
      vi.advanceTimersByTime(HEARTBEAT.timeoutMs - 1);
      expect(socket.closedByClient).toBeNull();
      vi.advanceTimersByTime(1);
      expect(socket.closedByClient?.code).toBe(4000);
      h.client.stop();
    }
  });

  it('keeps the 5 s pause after a 1013 when the wall clock jumps ahead and the network returns', () => {
    const h = setupClient({ random: () => 0 });
    const socket = h.signIn();
    socket.serverClose(1013);
    jumpWallClock(HOUR);
    vi.advanceTimersByTime(1_000);
    h.environment.goOnline();
    expect(h.sockets).toHaveLength(1);
    vi.advanceTimersByTime(RECONNECT.TRY_AGAIN_LATER_MIN_MS - 1_001);
    expect(h.sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(h.sockets).toHaveLength(2);
  });

  it('counts the time a connection stayed up on the monotonic clock (backoff reset)', () => {
    const h = setupClient({ random: () => 0.999 });
    let socket = h.signIn();
    // Fail a few times: the backoff grows.
    for (let i = 0; i < 3; i++) {
      socket.serverClose(1006);
      vi.advanceTimersByTime(10_000);
      socket = h.socket;
    }
    // Up for 2 s by the monotonic clock, though the wall clock says a day passed.
    h.welcome();
    vi.advanceTimersByTime(2_000);
    jumpWallClock(24 * HOUR);
    h.socket.serverClose(1006);
    const status = h.state.connection.status;
    // Not reset: the next wait is still a long one, not the first step's 500 ms.
    expect(status.kind === 'reconnecting' ? status.retryAt - performance.now() : 0).toBeGreaterThan(
      RECONNECT.BASE_DELAY_MS,
    );
  });
});
