import { describe, expect, it } from 'vitest';

import { RETRY_AFTER_MAX_MS, retryAfterDelay } from './retryAfter';

describe('retryAfterDelay', () => {
  const fallback = () => 1234;

  it("waits the server's retryAfterMs plus a little jitter", () => {
    expect(retryAfterDelay(2000, fallback, () => 0)).toBe(2000);
    expect(retryAfterDelay(2000, fallback, () => 0.999)).toBe(2300);
    expect(retryAfterDelay(0, fallback, () => 0.5)).toBe(50);
  });

  it('clamps what a server says to a sane range', () => {
    expect(retryAfterDelay(-5, fallback, () => 0)).toBe(0);
    expect(retryAfterDelay(1e12, fallback, () => 0)).toBe(RETRY_AFTER_MAX_MS);
    expect(retryAfterDelay(Number.NaN, fallback, () => 0)).toBe(1234);
  });

  it('falls back on its own guess when an older server says nothing', () => {
    expect(retryAfterDelay(undefined, fallback, () => 0.5)).toBe(1234);
  });
});
