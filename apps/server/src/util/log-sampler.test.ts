import { describe, expect, it } from 'vitest';

import { LogSampler } from './log-sampler.js';

describe('LogSampler', () => {
  it('logs the first few of a key, then the 10th, 100th, 1,000th … with what it left out', () => {
    const sampler = new LogSampler(3, 60_000, () => 0);
    const logged: [number, number][] = [];
    for (let i = 1; i <= 10_000; i++) {
      const sampled = sampler.take('10.0.0.1');
      if (sampled.log) logged.push([i, sampled.suppressed]);
    }
    expect(logged).toEqual([
      [1, 0],
      [2, 0],
      [3, 0],
      [10, 6],
      [100, 89],
      [1000, 899],
      [10_000, 8999],
    ]);
  });

  it('keeps keys apart and starts over in the next window', () => {
    let now = 0;
    const sampler = new LogSampler(1, 1000, () => now);
    expect(sampler.take('a').log).toBe(true);
    expect(sampler.take('a').log).toBe(false);
    expect(sampler.take('b').log).toBe(true);
    now = 1000;
    expect(sampler.take('a')).toEqual({ log: true, suppressed: 0 });
  });
});
