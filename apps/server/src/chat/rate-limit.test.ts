import { describe, expect, it } from 'vitest';

import { RateLimiter, TokenBucket } from './rate-limit.js';
import { WindowCounter } from './window-counter.js';

describe('TokenBucket', () => {
  it('allows a burst, then refills at the rate', () => {
    const bucket = new TokenBucket(10, 20, 0);
    let taken = 0;
    while (bucket.take(0)) taken++;
    expect(taken).toBe(20);
    expect(bucket.take(99)).toBe(false);
    expect(bucket.take(100)).toBe(true);
    expect(bucket.take(100)).toBe(false);
  });

  it('gives back a refunded token', () => {
    const bucket = new TokenBucket(1, 1, 0);
    expect(bucket.take(0)).toBe(true);
    bucket.refund();
    expect(bucket.take(0)).toBe(true);
  });
});

describe('RateLimiter', () => {
  it('keeps one bucket per key and sweeps idle ones', () => {
    const limiter = new RateLimiter(10, 20);
    expect(limiter.bucket('a', 0)).toBe(limiter.bucket('a', 0));
    limiter.bucket('a', 0).take(0);
    limiter.bucket('b', 0);
    limiter.sweep(0);
    expect(limiter.size).toBe(1);
    limiter.sweep(10_000);
    expect(limiter.size).toBe(0);
  });
});

describe('WindowCounter', () => {
  it('counts only the events within the window', () => {
    const counter = new WindowCounter(60_000);
    expect(counter.hit(0)).toBe(1);
    expect(counter.hit(30_000)).toBe(2);
    expect(counter.hit(60_000)).toBe(2);
    expect(counter.hit(120_001)).toBe(1);
  });
});
