import { RECONNECT } from '@tether/protocol/constants';
import { encodeRestartHint } from '@tether/protocol/rules';
import { afterEach, describe, expect, it, vi } from 'vitest';

import {
  ProtocolReconnect,
  SocketIoReconnect,
  ladderDelay,
  waitThenRetry,
  type ProbeCounters,
  type Wait,
} from './reconnect.js';

/** A random source that walks through `values` again and again. */
function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

const HINT = encodeRestartHint({ retryInMs: 500, spreadMs: 1000 });
const goingAway = (reason: string) => ({ code: 1001, reason, opened: true });
const refused = { code: 1006, reason: '', opened: false };

describe('the protocol policy (Tether)', () => {
  it('after a restart hint, waits retryInMs + random × spreadMs, then a short doubling step after each refusal, until welcomed', () => {
    const randoms = [0, 0.25, 0.5, 0.999_999];
    const policy = new ProtocolReconnect(true, sequence(...randoms));
    const first = policy.closed(goingAway(HINT), 0);
    expect(first).toEqual({ delayMs: 500, probeReady: false, paced: true });
    // Attempts that fail before a welcome keep the hint's pace (no ladder, no probe).
    const delays = [first!.delayMs];
    for (let i = 1; i < 40; i++) {
      const wait = policy.closed(refused, i * 700)!;
      expect(wait.paced).toBe(true);
      expect(wait.probeReady).toBe(false);
      delays.push(wait.delayMs);
    }
    // 250 ms ±50 % after the first refusal, 500 after the second, then at
    // most the spread (1 s) ±50 %: never a new spread on top, never the ladder.
    expect(delays.slice(0, 3)).toEqual([500, 250 * 0.75, 500 * 1]);
    expect(delays[3]).toBeCloseTo(1500, 0);
    for (const d of delays.slice(1)) {
      expect(d).toBeGreaterThanOrEqual(125);
      expect(d).toBeLessThan(1500);
    }
    expect(policy.attempts).toBe(0);
  });

  it('goes back to the ladder once welcomed, or after RESTART_PACE_MAX_MS', () => {
    const welcomed = new ProtocolReconnect(true, () => 0.5);
    welcomed.closed(goingAway(HINT), 0);
    welcomed.connected(1000);
    expect(welcomed.closed(refused, 2000)).toEqual({ delayMs: 250, probeReady: false, paced: false });

    const never = new ProtocolReconnect(true, () => 0.5);
    never.closed(goingAway(HINT), 0);
    expect(never.closed(refused, RECONNECT.RESTART_PACE_MAX_MS - 1)?.paced).toBe(true);
    expect(never.closed(refused, RECONNECT.RESTART_PACE_MAX_MS)).toMatchObject({
      paced: false,
      delayMs: 250,
    });
  });

  it('reads a 1001 without a valid hint (or a hint on another code) as a plain drop: the ladder', () => {
    for (const close of [
      goingAway(''),
      goingAway('server shutting down'),
      goingAway('{"restart":true,"retryInMs":-1,"spreadMs":1000}'),
      { code: 1006, reason: HINT, opened: true },
    ]) {
      expect(new ProtocolReconnect(true, () => 0.5).closed(close, 0)).toEqual({
        delayMs: 250,
        probeReady: false,
        paced: false,
      });
    }
  });

  it('climbs the full-jitter ladder, probes /readyz only on waits over a second, resets after 10 s up', () => {
    const policy = new ProtocolReconnect(true, () => 0.999);
    const waits = [1, 2, 3, 4, 5, 6, 7].map((i) => policy.closed(refused, i)!);
    expect(waits.map((w) => Math.round(w.delayMs))).toEqual([500, 999, 1998, 3996, 7992, 9990, 9990]);
    expect(waits.map((w) => w.probeReady)).toEqual([false, false, true, true, true, true, true]);
    policy.connected(100);
    policy.closed({ code: 1006, reason: '', opened: true }, 100 + RECONNECT.RESET_AFTER_MS);
    expect(policy.attempts).toBe(1);
    for (let n = 1; n <= 12; n++) {
      const ceiling = Math.min(RECONNECT.MAX_DELAY_MS, RECONNECT.BASE_DELAY_MS * 2 ** (n - 1));
      expect(ladderDelay(n, () => 0.999_999)).toBeLessThan(ceiling);
      expect(ladderDelay(n, () => 0)).toBe(0);
    }
  });

  it('does not retry a fatal close, and waits at least 5 s after 1013', () => {
    const policy = new ProtocolReconnect(true, () => 0);
    for (const code of [1002, 1003, 1008, 1009]) {
      expect(policy.closed({ code, reason: '', opened: true }, 0)).toBeUndefined();
    }
    expect(policy.closed({ code: 1013, reason: '', opened: true }, 0)?.delayMs).toBe(
      RECONNECT.TRY_AGAIN_LATER_MIN_MS,
    );
  });

  it('without Tether (the naive room) ignores hints and never probes', () => {
    const policy = new ProtocolReconnect(false, () => 0.999);
    for (let i = 0; i < 6; i++) {
      expect(policy.closed(goingAway(HINT), i)).toMatchObject({ paced: false, probeReady: false });
    }
  });
});

describe("socket.io-client's policy", () => {
  it('retries 1 s ± 50 % after a drop, then doubles up to 5 s, and starts over once connected', () => {
    // backo2: an even tenth of rand subtracts the deviation, an odd one adds it.
    const low = new SocketIoReconnect(() => 0.8);
    const high = new SocketIoReconnect(() => 0.9);
    const open = { code: 1006, reason: '', opened: true };
    expect(low.closed(open).delayMs).toBe(600);
    expect(high.closed(open).delayMs).toBe(1450);
    expect(low.closed(refused).delayMs).toBe(1200);
    expect(high.closed(refused).delayMs).toBe(2900);
    expect(low.closed(refused).delayMs).toBe(2400);
    expect(high.closed(refused).delayMs).toBe(5000);
    expect(low.closed(refused).delayMs).toBe(4800);
    expect(low.closed(refused).delayMs).toBe(5000);
    low.connected();
    expect(low.closed(refused).delayMs).toBe(600);
    // A close of an open connection starts over too (Manager.onclose resets the backoff).
    expect(high.closed(open)).toEqual({ delayMs: 1450, probeReady: false, paced: false });
  });
});

describe('waitThenRetry', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const ladder = (delayMs: number): Wait => ({ delayMs, probeReady: true, paced: false });

  it('asks /readyz once a second during a long wait and tries at once when it answers 200', async () => {
    vi.useFakeTimers();
    const answers = [false, true];
    const probe = vi.fn(() => Promise.resolve(answers.shift() ?? true));
    const retry = vi.fn();
    const counters: ProbeCounters = { probes: 0, hits: 0 };
    waitThenRetry(ladder(8000), retry, probe, counters);
    await vi.advanceTimersByTimeAsync(999);
    expect(probe).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(probe).toHaveBeenCalledTimes(1);
    expect(retry).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1000);
    expect(probe).toHaveBeenCalledTimes(2);
    expect(retry).toHaveBeenCalledTimes(1);
    expect(counters).toEqual({ probes: 2, hits: 1 });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(retry).toHaveBeenCalledTimes(1);
    expect(probe).toHaveBeenCalledTimes(2);
  });

  it('never probes a short wait or one paced by a restart hint, and retries when the wait ends', async () => {
    vi.useFakeTimers();
    const probe = vi.fn(() => Promise.resolve(true));
    const retry = vi.fn();
    waitThenRetry(ladder(1000), retry, probe);
    waitThenRetry({ delayMs: 1400, probeReady: false, paced: true }, retry, probe);
    await vi.advanceTimersByTimeAsync(1000);
    expect(retry).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(400);
    expect(retry).toHaveBeenCalledTimes(2);
    expect(probe).not.toHaveBeenCalled();
  });

  it('keeps waiting when /readyz fails or says 503, and stops everything when cancelled', async () => {
    vi.useFakeTimers();
    const probe = vi.fn(() => Promise.resolve(false));
    const retry = vi.fn();
    waitThenRetry(ladder(3500), retry, probe);
    await vi.advanceTimersByTimeAsync(3499);
    expect(probe).toHaveBeenCalledTimes(3);
    expect(retry).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(retry).toHaveBeenCalledTimes(1);

    const cancelled = vi.fn();
    const pending = waitThenRetry(ladder(5000), cancelled, () => Promise.reject(new Error('refused')));
    await vi.advanceTimersByTimeAsync(1500);
    pending.cancel();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(cancelled).not.toHaveBeenCalled();
  });
});
