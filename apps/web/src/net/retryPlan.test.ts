/**
 * The restart hint (docs/protocol.md, "Reconnect"): after a 1001 that carries
 * one, attempts follow its pace, not the backoff ladder, until a welcome or
 * RESTART_PACE_MAX_MS; the banner says the server is restarting. Driven
 * through ReconnectingSocket with fake timers (src/test/socketHarness.ts).
 */
import { RECONNECT } from '@tether/protocol/constants';
import { encodeRestartHint } from '@tether/protocol/rules';
import { describe, expect, it, vi } from 'vitest';

import { FAKE_NOW, fakeTimersEachTest } from '../test/fakes';
import { RECONNECT_WAIT } from '../test/frames';
import { setupSocket } from '../test/socketHarness';
import type { SocketHarness } from '../test/socketHarness';

fakeTimersEachTest(FAKE_NOW);

const HINT = encodeRestartHint({ retryInMs: 500, spreadMs: 1000 });

/** The wait the socket chose after its current socket closed with `code` and `reason`. */
function closeAndWait(h: SocketHarness, code = 1006, reason = ''): number {
  h.socket.serverClose(code, reason);
  const status = h.state.connection.status;
  if (status.kind !== 'reconnecting') throw new Error(`expected reconnecting, got ${status.kind}`);
  return status.retryAt - performance.now();
}

/** Waits `delay` and checks an attempt started just then, not a millisecond before. */
function attemptsAfter(h: SocketHarness, delay: number): void {
  const count = h.sockets.length;
  vi.advanceTimersByTime(delay - 1);
  expect(h.sockets).toHaveLength(count);
  vi.advanceTimersByTime(1);
  expect(h.sockets).toHaveLength(count + 1);
}

describe('RetryPlan', () => {
  describe('after a restart hint', () => {
    it('waits retryInMs plus a random share of spreadMs, then a short doubling step after each refusal, never the ladder', () => {
      const draws = [0, 0.9999, 0.5, 0.25, 0.9999, 0.9999, 0.9999, 0.9999, 0.9999];
      const h = setupSocket({ random: () => draws.shift() ?? 0.9999 });
      h.signIn();
      const delays = [closeAndWait(h, 1001, HINT)];
      attemptsAfter(h, delays[0]!);
      // The new process is not up yet: a refused attempt tries again soon
      // (250 ms ±50 %, doubling, at most the spread ±50 %), not after a new spread.
      for (let attempt = 2; attempt <= 9; attempt++) {
        const delay = closeAndWait(h);
        delays.push(delay);
        attemptsAfter(h, delay);
      }
      expect(delays).toEqual([500, 374, 500, 750, 1499, 1499, 1499, 1499, 1499]);
      // The ladder would have climbed to 10 s by attempt 6.
      expect(Math.max(...delays)).toBeLessThanOrEqual(1500);
    });

    it('says the server is restarting, while waiting and while trying', () => {
      const h = setupSocket({ random: () => 0 });
      h.signIn();
      h.socket.serverClose(1001, HINT);
      expect(h.state.connection.status).toEqual({
        kind: 'reconnecting',
        attempt: 1,
        retryAt: performance.now() + 500,
        restarting: true,
      });
      vi.advanceTimersByTime(500);
      expect(h.state.connection.status).toEqual({ kind: 'connecting', attempt: 1, restarting: true });
      h.welcome();
      expect(h.state.connection.status).toEqual({ kind: 'open', since: performance.now() });
    });

    it('goes back to the backoff after RESTART_PACE_MAX_MS without a welcome', () => {
      const h = setupSocket({ random: () => 0.9999 });
      h.signIn();
      const start = Date.now();
      let delay = closeAndWait(h, 1001, HINT);
      while (Date.now() + delay < start + RECONNECT.RESTART_PACE_MAX_MS) {
        expect(delay).toBeLessThanOrEqual(1499);
        vi.advanceTimersByTime(delay);
        delay = closeAndWait(h);
      }
      expect(h.state.connection.status).toMatchObject({ restarting: true });
      vi.advanceTimersByTime(delay);
      // Past the window: the ladder, from where the attempts stand (capped at 10 s).
      expect(closeAndWait(h)).toBe(9999);
      expect(h.state.connection.status).not.toHaveProperty('restarting');
    });

    it('ends with a welcome: the next drop backs off as usual', () => {
      const h = setupSocket({ random: () => 0.9999 });
      h.signIn();
      attemptsAfter(h, closeAndWait(h, 1001, HINT));
      h.welcome();
      vi.advanceTimersByTime(RECONNECT.RESET_AFTER_MS);
      expect(closeAndWait(h)).toBe(499);
      expect(h.state.connection.status).not.toHaveProperty('restarting');
    });

    it('starts a window of its own with a second hint', () => {
      const h = setupSocket({ random: () => 0 });
      h.signIn();
      attemptsAfter(h, closeAndWait(h, 1001, HINT));
      h.welcome();
      const other = encodeRestartHint({ retryInMs: 2000, spreadMs: 3000 });
      expect(closeAndWait(h, 1001, other)).toBe(2000);
    });
  });

  it.each([
    ['no reason', ''],
    ['a plain reason', 'server shutting down'],
    ['a hint without restart', JSON.stringify({ retryInMs: 500, spreadMs: 1000 })],
    ['a hint out of range', JSON.stringify({ restart: true, retryInMs: -1, spreadMs: 1000 })],
  ])('backs off as usual after a 1001 with %s', (_, reason) => {
    const h = setupSocket({ random: () => 0.9999 });
    h.signIn();
    expect(closeAndWait(h, 1001, reason)).toBe(499);
    expect(h.state.connection.status).not.toHaveProperty('restarting');
    vi.advanceTimersByTime(RECONNECT_WAIT);
    expect(closeAndWait(h)).toBe(999);
  });

  it('reads a hint only with 1001', () => {
    const h = setupSocket({ random: () => 0.9999 });
    h.signIn();
    expect(closeAndWait(h, 1006, HINT)).toBe(499);
  });
});
