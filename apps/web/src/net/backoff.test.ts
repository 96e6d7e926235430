import { describe, expect, it } from 'vitest';

import { backoffDelay, fatalCloseReason, reconnectDelay } from './backoff';

const almostOne = () => 0.999_999;

describe('backoff', () => {
  it('bounds the delay before attempt n by min(10 s, 0.5 s × 2^(n-1))', () => {
    const ceilings = [500, 1000, 2000, 4000, 8000, 10_000, 10_000];
    ceilings.forEach((ceiling, i) => {
      expect(backoffDelay(i + 1, () => 0)).toBe(0);
      expect(backoffDelay(i + 1, almostOne)).toBe(ceiling - 1);
    });
  });

  it('stays capped for very large attempt counts', () => {
    expect(backoffDelay(10_000, almostOne)).toBe(9_999);
  });

  it('treats attempt 0 and below like attempt 1', () => {
    expect(backoffDelay(0, almostOne)).toBe(499);
  });

  it('spreads delays over the whole range (full jitter)', () => {
    const delays = Array.from({ length: 2000 }, () => backoffDelay(4));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...delays)).toBeLessThanOrEqual(4000);
    // Every quarter of the range is hit: not clustered at the ceiling.
    for (let quarter = 0; quarter < 4; quarter++) {
      expect(delays.some((d) => d >= quarter * 1000 && d < (quarter + 1) * 1000)).toBe(true);
    }
  });

  it('waits at least 5 s after 1013 and is unchanged after other codes', () => {
    expect(reconnectDelay(1, 1013, () => 0)).toBe(5000);
    expect(reconnectDelay(6, 1013, almostOne)).toBe(9_999);
    expect(reconnectDelay(1, 1006, () => 0)).toBe(0);
    expect(reconnectDelay(2, 1001, () => 0.5)).toBe(500);
  });
});

describe('fatalCloseReason', () => {
  it('names the refusal of 1002, 1003, 1008 and 1009, preferring the reason the server gave', () => {
    expect(fatalCloseReason(1002, '')).toBe('unsupported_version');
    expect(fatalCloseReason(1003, '')).toBe('unsupported_data');
    expect(fatalCloseReason(1008, '')).toBe('policy_violation');
    expect(fatalCloseReason(1009, '')).toBe('message_too_big');
    expect(fatalCloseReason(1008, 'too many bad requests')).toBe('too many bad requests');
  });

  it('is null for closes that are retried', () => {
    for (const code of [1000, 1001, 1006, 1011, 1013, 4000, 4408])
      expect(fatalCloseReason(code, 'x')).toBeNull();
  });
});
