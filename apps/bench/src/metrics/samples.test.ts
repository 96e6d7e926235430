import { describe, expect, it } from 'vitest';

import { Samples } from './samples.js';

describe('Samples', () => {
  it('gives nearest-rank percentiles, the max and the mean', () => {
    const samples = new Samples();
    for (let i = 1; i <= 100; i++) samples.add(i);
    expect(samples.summary()).toEqual({ count: 100, p50: 51, p90: 91, p99: 100, max: 100, mean: 50.5 });
  });

  it('keeps at most its capacity but counts everything', () => {
    const samples = new Samples(10);
    for (let i = 0; i < 1000; i++) samples.add(5);
    const summary = samples.summary();
    expect(summary.count).toBe(1000);
    expect(summary.p99).toBe(5);
  });
});
