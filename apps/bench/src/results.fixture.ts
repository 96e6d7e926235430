/** Results of a run with nothing measured, for the report's tests to fill in. */
import type { Results } from './results.js';

export function testResults(more: Partial<Results> = {}): Results {
  return {
    mode: 'full',
    machine: {
      cpu: 'test',
      cores: 2,
      node: 'v20',
      os: 'Linux',
      memoryGiB: 1,
      date: '2026-01-01',
      loadAverage: [0, 0, 0],
    },
    loadAverageAfter: [0, 0, 0],
    settings: {},
    notes: [],
    errors: [],
    fanout: [],
    ingest: [],
    storm: [],
    resume: [],
    postgres: undefined,
    profiles: [],
    durationSeconds: 1,
    ...more,
  };
}
