import { describe, expect, it, vi } from 'vitest';

import { fakeTimersEachTest } from '../test/fakes';
import { systemTimers } from './env';
import { Heartbeat } from './heartbeat';
import type { HeartbeatOptions } from './heartbeat';

fakeTimersEachTest();

function setup(options: Partial<HeartbeatOptions> = {}) {
  let skew = 0;
  const pings: number[] = [];
  const onDead = vi.fn();
  const heartbeat = new Heartbeat({
    intervalMs: 25_000,
    timeoutMs: 10_000,
    clock: { now: () => performance.now() + skew },
    timers: systemTimers,
    sendPing: (t) => pings.push(t),
    onDead,
    ...options,
  });
  return {
    heartbeat,
    pings,
    onDead,
    sleep: (ms: number) => {
      skew += ms;
    },
  };
}

describe('Heartbeat', () => {
  it('sends nothing until started and nothing after stop', () => {
    const { heartbeat, pings, onDead } = setup();
    vi.advanceTimersByTime(100_000);
    expect(pings).toEqual([]);
    heartbeat.start();
    vi.advanceTimersByTime(25_000);
    heartbeat.stop();
    vi.advanceTimersByTime(100_000);
    expect(pings).toHaveLength(1);
    expect(onDead).not.toHaveBeenCalled();
  });

  it('declares the link dead exactly timeoutMs after an unanswered ping', () => {
    const { heartbeat, onDead } = setup();
    heartbeat.start();
    vi.advanceTimersByTime(34_999);
    expect(onDead).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onDead).toHaveBeenCalledOnce();
    expect(heartbeat.running).toBe(false);
  });

  it('keeps judging the first unanswered ping when pings come faster than the timeout', () => {
    const { heartbeat, pings, onDead } = setup({ intervalMs: 3_000, timeoutMs: 10_000 });
    heartbeat.start();
    vi.advanceTimersByTime(12_999);
    expect(pings.length).toBeGreaterThan(3);
    expect(onDead).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onDead).toHaveBeenCalledOnce();
  });

  it('judges a ping sent after an answered one by its own answer', () => {
    const { heartbeat, onDead } = setup();
    heartbeat.start();
    vi.advanceTimersByTime(25_000);
    heartbeat.received();
    vi.advanceTimersByTime(1_000);
    heartbeat.pingNow();
    vi.advanceTimersByTime(9_999);
    expect(onDead).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onDead).toHaveBeenCalledOnce();
  });

  it('re-pings instead of judging when the deadline fires late, then judges on time', () => {
    const { heartbeat, pings, onDead, sleep } = setup();
    heartbeat.start();
    vi.advanceTimersByTime(25_000);
    sleep(60_000);
    vi.advanceTimersByTime(10_000);
    expect(onDead).not.toHaveBeenCalled();
    expect(pings).toHaveLength(2);
    vi.advanceTimersByTime(10_000);
    expect(onDead).toHaveBeenCalledOnce();
  });

  it('trusts a deadline that is late by less than the tolerance (hidden-tab timer alignment)', () => {
    const { heartbeat, onDead, sleep } = setup();
    heartbeat.start();
    vi.advanceTimersByTime(25_000);
    sleep(1_000);
    vi.advanceTimersByTime(10_000);
    expect(onDead).toHaveBeenCalledOnce();
  });

  it('measures the round trip of a pong to its own ping', () => {
    const { heartbeat, pings } = setup();
    heartbeat.start();
    heartbeat.pingNow();
    vi.advanceTimersByTime(75);
    expect(heartbeat.pong(pings[0]!)).toBe(75);
    expect(heartbeat.pong(performance.now() + 1_000)).toBeNull();
    expect(heartbeat.pong(Number.NaN)).toBeNull();
  });
});
