/**
 * Learning that the server is back (docs/protocol.md, "Reconnect"): while the
 * socket waits more than a second to reconnect it asks GET /readyz, at most
 * once a second, and tries at once on a 200. Driven through
 * ReconnectingSocket with fake timers and a fake fetch.
 */
import { RECONNECT } from '@tether/protocol/constants';
import { encodeRestartHint } from '@tether/protocol/rules';
import { describe, expect, it, vi } from 'vitest';

import { FAKE_NOW, fakeTimersEachTest } from '../test/fakes';
import { setupSocket } from '../test/socketHarness';
import type { SocketHarness } from '../test/socketHarness';
import { READY_PROBE_AFTER_MS, READY_PROBE_TIMEOUT_MS } from './readyProbe';

fakeTimersEachTest(FAKE_NOW);

/**
 * Signs in, then the server crashes and stays down (every attempt refused)
 * until the socket waits at least `least` ms for its next attempt. Returns
 * that wait, just begun.
 */
function downUntil(h: SocketHarness, least: number): number {
  h.signIn();
  h.socket.serverClose(1006);
  for (;;) {
    const status = h.state.connection.status;
    if (status.kind !== 'reconnecting') throw new Error(`expected reconnecting, got ${status.kind}`);
    const wait = status.retryAt - performance.now();
    if (wait >= least) return wait;
    vi.advanceTimersByTime(wait);
    h.socket.serverClose(1006);
  }
}

/** The first probe of a wait: after READY_PROBE_AFTER_MS plus `random` × the interval. */
const FIRST_PROBE_MS = READY_PROBE_AFTER_MS + Math.floor(0.9999 * RECONNECT.READY_PROBE_INTERVAL_MS);

describe('ReadyProbe', () => {
  it('asks /readyz while the wait is long, and tries at once when it answers 200', async () => {
    const h = setupSocket({ random: () => 0.9999 });
    // The ladder's top: ten seconds.
    expect(downUntil(h, 9999)).toBe(9999);
    const sockets = h.sockets.length;
    const asked = h.fetch.requests.length;

    vi.advanceTimersByTime(FIRST_PROBE_MS - 1);
    expect(h.fetch.requests).toHaveLength(asked);
    vi.advanceTimersByTime(1);
    expect(h.fetch.requests).toHaveLength(asked + 1);
    expect(h.fetch.requests.at(-1)).toMatchObject({
      url: 'http://chat.test/readyz',
      init: { cache: 'no-store' },
    });
    await h.fetch.answer(503);
    expect(h.sockets).toHaveLength(sockets);

    vi.advanceTimersByTime(RECONNECT.READY_PROBE_INTERVAL_MS);
    expect(h.fetch.requests).toHaveLength(asked + 2);
    await h.fetch.answer(200);
    // Some 7 s before the backoff would have tried.
    expect(h.sockets).toHaveLength(sockets + 1);
    expect(h.state.connection.status.kind).toBe('connecting');
    h.welcome();
    vi.advanceTimersByTime(60_000);
    expect(h.fetch.requests).toHaveLength(asked + 2);
  });

  it('asks at most once a second, however fast the answers come', async () => {
    const h = setupSocket({ random: () => 0.9999 });
    const wait = downUntil(h, 9999);
    const asked = h.fetch.requests.length;
    h.fetch.answerAtOnce = 'refused';
    // Async: the probe's answers settle between the timers.
    await vi.advanceTimersByTimeAsync(wait - 1);
    const times = h.fetch.requests.slice(asked).map((request) => request.at);
    expect(times.length).toBe(8);
    for (let i = 1; i < times.length; i++) {
      expect(times[i]! - times[i - 1]!).toBe(RECONNECT.READY_PROBE_INTERVAL_MS);
    }
  });

  it('abandons a probe that hangs, and asks again', async () => {
    const h = setupSocket({ random: () => 0.9999 });
    downUntil(h, 9999);
    const asked = h.fetch.requests.length;
    await vi.advanceTimersByTimeAsync(FIRST_PROBE_MS);
    const hanging = h.fetch.requests.at(-1);
    expect(h.fetch.requests).toHaveLength(asked + 1);
    await vi.advanceTimersByTimeAsync(READY_PROBE_TIMEOUT_MS - 1);
    // No second one piles up behind it meanwhile.
    expect(h.fetch.requests).toHaveLength(asked + 1);
    expect(hanging?.init.signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(hanging?.init.signal.aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(RECONNECT.READY_PROBE_INTERVAL_MS);
    expect(h.fetch.requests).toHaveLength(asked + 2);
  });

  it('drops the probe in flight when the attempt starts', async () => {
    const h = setupSocket({ random: () => 0.9999 });
    const wait = downUntil(h, 9999);
    h.fetch.answerAtOnce = 503;
    await vi.advanceTimersByTimeAsync(wait - 1500);
    // The last probe before the attempt hangs.
    h.fetch.answerAtOnce = null;
    await vi.advanceTimersByTimeAsync(1000);
    const hanging = h.fetch.requests.at(-1);
    expect(hanging?.init.signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(500);
    expect(h.state.connection.status.kind).toBe('connecting');
    expect(hanging?.init.signal.aborted).toBe(true);
    await h.fetch.answer(200);
    expect(h.sockets.at(-1)).toBe(h.socket);
    expect(h.state.connection.status.kind).toBe('connecting');
  });

  it('does not ask when the wait is a second or less', () => {
    const h = setupSocket({ random: () => 0.9999 });
    h.signIn();
    h.socket.serverClose(1006);
    vi.advanceTimersByTime(499);
    h.socket.serverClose(1006);
    vi.advanceTimersByTime(999);
    expect(h.fetch.requests).toEqual([]);
  });

  it('does not ask while offline, nor once stopped', () => {
    const h = setupSocket({ random: () => 0.9999 });
    downUntil(h, 3999);
    const asked = h.fetch.requests.length;
    h.environment.goOffline();
    vi.advanceTimersByTime(60_000);
    expect(h.fetch.requests).toHaveLength(asked);

    h.environment.goOnline();
    h.welcome();
    h.link.stop();
    vi.advanceTimersByTime(60_000);
    expect(h.fetch.requests).toHaveLength(asked);
  });

  it('does not cut short a restart pace or a 1013 pause', () => {
    const paced = setupSocket({ random: () => 0.9999 });
    paced.signIn();
    paced.socket.serverClose(1001, encodeRestartHint({ retryInMs: 5000, spreadMs: 5000 }));
    vi.advanceTimersByTime(9_000);
    expect(paced.fetch.requests).toEqual([]);

    const full = setupSocket({ random: () => 0.9999 });
    full.signIn();
    full.socket.serverClose(1013);
    vi.advanceTimersByTime(4_900);
    expect(full.fetch.requests).toEqual([]);
  });
});
