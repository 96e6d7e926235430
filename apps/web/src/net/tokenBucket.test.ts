import { describe, expect, it } from 'vitest';

import { TokenBucket } from './tokenBucket';

function clock() {
  let now = 1_000_000;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

describe('TokenBucket', () => {
  it('allows a burst of capacity, then perSecond', () => {
    const c = clock();
    const bucket = new TokenBucket(20, 10, c);
    for (let i = 0; i < 20; i++) expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
    expect(bucket.wait()).toBe(100);
    c.advance(100);
    expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
  });

  it('never holds more than its capacity', () => {
    const c = clock();
    const bucket = new TokenBucket(2, 10, c);
    c.advance(60_000);
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, false]);
  });

  it('pauses for the given time, and pauses do not add up', () => {
    const c = clock();
    const bucket = new TokenBucket(20, 10, c);
    bucket.pause(1_000);
    bucket.pause(1_000);
    expect(bucket.take()).toBe(false);
    expect(bucket.wait()).toBe(1_100);
    c.advance(1_100);
    expect(bucket.take()).toBe(true);
  });

  it('takes new limits keeping the tokens it holds, capped at the new capacity', () => {
    const c = clock();
    const bucket = new TokenBucket(20, 10, c);
    for (let i = 0; i < 15; i++) bucket.take();
    bucket.setLimits(3, 2);
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
    expect(bucket.wait()).toBe(500);

    bucket.setLimits(50, 100);
    c.advance(10);
    expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
  });

  it('keeps the remaining time of a pause across new limits', () => {
    const c = clock();
    const bucket = new TokenBucket(20, 10, c);
    bucket.pause(1_000);
    c.advance(400);
    bucket.setLimits(3, 2);
    expect(bucket.wait()).toBe(1_100);
  });

  it('does not drain when the clock goes backwards', () => {
    const c = clock();
    const bucket = new TokenBucket(1, 10, c);
    c.advance(-10_000);
    expect(bucket.take()).toBe(true);
  });
});
