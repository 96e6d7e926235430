import { describe, expect, it } from 'vitest';

import type { FanoutPhase, FanoutRow, Results } from './results.js';
import { evaluateGoals, renderMarkdown } from './report.js';
import type { ServerId } from './servers/types.js';

const latency = (p99: number) => ({ count: 100, p50: p99 / 2, p90: p99, p99, max: p99, mean: p99 / 2 });

function phase(offered: number | undefined, deliveriesPerSec: number, p99: number, cpu: number): FanoutPhase {
  return {
    offered,
    result: {
      sent: 1000,
      recipients: 5000,
      deliveriesPerSec,
      measuredSeconds: 6,
      deliveredFraction: 1,
      latencyMs: latency(p99),
      clientsOpen: 5000,
      refused: 0,
    },
    cpu: { server: cpu, generator: 40, serverSeconds: cpu / 10, generatorSeconds: 4 },
    peakRss: 100 * 2 ** 20,
  };
}

function row(
  server: ServerId,
  saturation: number,
  p99: number,
  cpu50k: number,
  rssPerConnection: number,
): FanoutRow {
  const connect = {
    requested: 5000,
    joined: 5000,
    failed: 0,
    retries: 0,
    elapsedMs: 1000,
    joinMs: latency(10),
    closes: {},
    refusals: {},
  };
  return {
    server,
    label: server,
    clients: 5000,
    connect,
    baseRss: 0,
    joinedRss: rssPerConnection * 5000,
    rssPerConnection,
    heap: undefined,
    loads: [phase(50_000, 50_000, p99, cpu50k), phase(100_000, 100_000, p99, 60)],
    saturation: phase(undefined, saturation, p99, 100),
  };
}

function results(fanout: FanoutRow[]): Results {
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
    fanout,
    ingest: [],
    storm: [],
    resume: [],
    redis: [],
    profiles: [],
    durationSeconds: 1,
  };
}

describe('evaluateGoals', () => {
  it('judges each goal by the ratio measured in the same run', () => {
    const goals = evaluateGoals(
      results([
        row('tether', 1_000_000, 30, 30, 20_000),
        row('ws-naive', 100_000, 100, 50, 10_000),
        row('socketio', 250_000, 200, 60, 20_000),
      ]),
    );
    const byGoal = new Map(goals.map((g) => [g.goal, g]));
    expect(byGoal.get('fan-out deliveries/s at saturation, Tether ÷ ws-naive (N = 5000)')).toMatchObject({
      measured: '10.00 ×',
      pass: true,
    });
    expect(byGoal.get('fan-out deliveries/s at saturation, Tether ÷ Socket.IO (N = 5000)')).toMatchObject({
      measured: '4.00 ×',
      pass: false,
    });
    expect(byGoal.get('p99 latency at 100,000 deliveries/s, Tether ÷ ws-naive')?.pass).toBe(true);
    expect(byGoal.get('server CPU at 50,000 deliveries/s, Tether ÷ ws-naive')).toMatchObject({ pass: true });
    expect(byGoal.get('RSS per idle joined connection, Tether ÷ ws-naive')).toMatchObject({
      measured: '2.00 ×',
      pass: false,
    });
  });

  it('says NO DATA instead of judging what was not measured', () => {
    const goals = evaluateGoals(results([row('tether', 1_000_000, 30, 30, 20_000)]));
    expect(goals.find((g) => g.goal.includes('ws-naive'))?.pass).toBeUndefined();
    expect(renderMarkdown(results([]))).toContain('# Tether benchmark: full run');
  });
});
