import { describe, expect, it } from 'vitest';

import type { GoalRow } from './goals.js';
import { evaluateGoals, renderGoals } from './goals.js';
import { renderMarkdown, resumeTable, stormTable } from './report.js';
import type { FanoutPhase, FanoutRow, ResumeRow, Results, StormRow } from './results.js';
import type { RestartKind, ServerId } from './servers/types.js';
import { testResults } from './results.fixture.js';

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

const connectResult = (elapsedMs: number) => ({
  requested: 5000,
  joined: 5000,
  failed: 0,
  retries: 0,
  elapsedMs,
  joinMs: latency(10),
  closes: {},
  refusals: {},
});

function row(
  server: ServerId,
  saturation: number,
  p99: number,
  cpu50k: number,
  rssPerConnection: number,
): FanoutRow {
  return {
    server,
    label: server,
    clients: 5000,
    connect: connectResult(1000),
    baseRss: 0,
    joinedRss: rssPerConnection * 5000,
    rssPerConnection,
    heap: undefined,
    loads: [phase(50_000, 50_000, p99, cpu50k), phase(100_000, 100_000, p99, 60)],
    saturation: phase(undefined, saturation, p99, 100),
  };
}

function storm(server: ServerId, elapsedMs: number, more: Partial<StormRow['result']> = {}): StormRow {
  return {
    server,
    label: server,
    result: {
      ...connectResult(elapsedMs),
      ...(server === 'tether' ? { lastMemberCount: 5000, roomClients: 5000 } : {}),
      ...more,
    },
    cpu: { server: 90, generator: 40, serverSeconds: 9, generatorSeconds: 4 },
    peakRss: 0,
  };
}

function resume(
  server: ServerId,
  restart: RestartKind,
  allResumedMs: number,
  more: { resumed?: number; missing?: number; duplicates?: number } = {},
): ResumeRow {
  return {
    server,
    label: server,
    restart,
    clients: 2000,
    rooms: 10,
    downMs: 800,
    resumed: {
      clients: 2000,
      resumed: more.resumed ?? 2000,
      allResumedMs,
      resumeMs: latency(allResumedMs),
      attempts: latency(2),
      closes: restart === 'SIGTERM' && server === 'tether' ? { '1001 hint': 2000 } : { 1006: 2000 },
      retries: { paced: 2000, backoff: 10, probes: 5, hits: 3 },
    },
    verify: {
      sentPerRoom: [30],
      missing: more.missing ?? 0,
      clientsMissing: more.missing ? 1 : 0,
      duplicates: more.duplicates ?? 0,
      unackedSends: 0,
      waitedMs: 10,
    },
  };
}

function results(fanout: FanoutRow[], more: Partial<Results> = {}): Results {
  return testResults({ fanout, ...more });
}

const saturationRatio: GoalRow = {
  text: 'deliveries/s at saturation, Tether ÷ ws-naive',
  server: 'tether',
  peer: 'ws-naive',
  figure: (run, s) => run.results.fanout.find((r) => r.server === s)?.saturation.result.deliveriesPerSec,
  compare: '>=',
  bound: 5,
};

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

  it('passes a ratio goal at or above its bound and misses one below it', () => {
    const run = (naive: number) =>
      evaluateGoals(results([row('tether', 500_000, 30, 30, 1), row('ws-naive', naive, 30, 30, 1)]), [
        saturationRatio,
      ])[0];
    expect(run(50_000)).toEqual({
      goal: 'deliveries/s at saturation, Tether ÷ ws-naive',
      measured: '10.00 ×',
      target: '>= 5 ×',
      pass: true,
      note: '',
    });
    expect(run(200_000)).toMatchObject({ measured: '2.50 ×', target: '>= 5 ×', pass: false });
    // Two decimals would round onto the bound and hide the miss.
    expect(run(100_020)).toMatchObject({ measured: '4.999 ×', pass: false });
  });

  it('compares one server with another on any figure of the run (a connect storm, <= 1 ×)', () => {
    const stormGoal: GoalRow = {
      text: 'connect storm of 5,000: all joined, Tether ÷ ws-naive',
      server: 'tether',
      peer: 'ws-naive',
      figure: (run, s) => run.results.storm.find((r) => r.server === s)?.result.elapsedMs,
      compare: '<=',
      bound: 1,
      note: (run) => `${run.results.storm.length} servers`,
    };
    const judge = (tether: number, naive: number) =>
      evaluateGoals(results([], { storm: [storm('tether', tether), storm('ws-naive', naive)] }), [
        stormGoal,
      ])[0];
    expect(judge(2000, 4000)).toMatchObject({
      measured: '0.50 ×',
      target: '<= 1 ×',
      pass: true,
      note: '2 servers',
    });
    expect(judge(4000, 4000)).toMatchObject({ measured: '1.000 ×', pass: true });
    expect(judge(6000, 4000)).toMatchObject({ measured: '1.50 ×', pass: false });
  });

  it('judges an absolute goal against its bound, in its unit', () => {
    const goals = evaluateGoals(
      results([row('tether', 1_000_000, 30, 30, 20_000), row('ws-naive', 100_000, 200, 50, 10_000)]),
    );
    expect(goals.find((g) => g.goal === 'p99 latency at 100,000 deliveries/s, Tether')).toEqual({
      goal: 'p99 latency at 100,000 deliveries/s, Tether',
      measured: '30.0 ms',
      target: '<= 150 ms',
      pass: true,
      note: '',
    });
    const slow = evaluateGoals(results([row('tether', 1_000_000, 151.4, 30, 20_000)]));
    expect(slow.find((g) => g.goal === 'p99 latency at 100,000 deliveries/s, Tether')).toMatchObject({
      measured: '151 ms',
      pass: false,
    });
  });

  it('writes a goal whose figure is missing (or whose peer measured 0) as no data, NO DATA', () => {
    const goals = evaluateGoals(results([row('tether', 500_000, 30, 30, 1), row('ws-naive', 0, 30, 30, 1)]), [
      saturationRatio,
      { ...saturationRatio, peer: 'socketio' },
    ]);
    for (const g of goals) {
      expect(g).toMatchObject({ measured: 'no data', target: '>= 5 ×', pass: undefined });
    }
    const all = evaluateGoals(results([]));
    expect(all.every((g) => g.measured === 'no data' && g.pass === undefined)).toBe(true);
    expect(renderGoals(goals)).toEqual([
      '| goal | measured | target | result | note |',
      '| --- | --- | --- | --- | --- |',
      '| deliveries/s at saturation, Tether ÷ ws-naive | no data | >= 5 × | NO DATA |  |',
      '| deliveries/s at saturation, Tether ÷ ws-naive | no data | >= 5 × | NO DATA |  |',
    ]);
    expect(renderMarkdown(results([row('tether', 1_000_000, 30, 30, 20_000)]))).toContain(
      '| RSS per idle joined connection, Tether ÷ Socket.IO | no data | <= 0.5 × | NO DATA |  |',
    );
  });

  it('notes a saturated generator next to the goals it set', () => {
    const naive = row('ws-naive', 100_000, 100, 50, 10_000);
    naive.saturation.cpu.generator = 95;
    const goals = evaluateGoals(results([row('tether', 1_000_000, 30, 30, 20_000), naive]));
    expect(goals[0]?.note).toBe('generator saturated: the load generator, not the server, set this number');
    expect(goals.find((g) => g.goal.startsWith('p99 latency'))?.note).toBe('');
  });

  it('judges the connect storm against ws-naive only when every client joined and Tether counted them all', () => {
    const judge = (tether: StormRow, naive: StormRow) =>
      evaluateGoals(results([], { storm: [tether, naive, storm('socketio', 9000)] })).find((g) =>
        g.goal.startsWith('connect storm'),
      );
    expect(judge(storm('tether', 2000), storm('ws-naive', 4000))).toEqual({
      goal: 'connect storm of 5,000: time until all joined, Tether ÷ ws-naive',
      measured: '0.50 ×',
      target: '<= 1 ×',
      pass: true,
      note: "Tether: all 5,000 joined, 0 failed, the last joined's memberCount 5,000",
    });
    expect(judge(storm('tether', 5000), storm('ws-naive', 4000))).toMatchObject({
      measured: '1.25 ×',
      pass: false,
    });
    // A count that is wrong, or missing, misses the goal however fast the storm was.
    expect(judge(storm('tether', 1000, { lastMemberCount: 100 }), storm('ws-naive', 4000))).toMatchObject({
      measured: 'memberCount 100 (expected 5000)',
      pass: false,
    });
    expect(
      judge(storm('tether', 1000, { lastMemberCount: undefined }), storm('ws-naive', 4000)),
    ).toMatchObject({ measured: 'memberCount missing (expected 5000)', pass: false });
    expect(judge(storm('tether', 1000, { joined: 4990, failed: 10 }), storm('ws-naive', 4000))).toMatchObject(
      { measured: '4990/5000 joined, 10 failed', pass: false },
    );
    // A peer that did not get everyone in is no yardstick.
    expect(
      judge(storm('tether', 1000), storm('ws-naive', 4000, { joined: 4000, failed: 1000 })),
    ).toMatchObject({
      measured: 'no data',
      pass: undefined,
      note: 'ws-naive: 4000/5000 joined, 1000 failed',
    });
  });

  it('judges resume after SIGTERM and after SIGKILL against Socket.IO + SQLite, each in its own row', () => {
    const rows = [
      resume('tether', 'SIGTERM', 1500),
      resume('tether', 'SIGKILL', 3000, { duplicates: 2 }),
      resume('socketio-sqlite', 'SIGTERM', 3000),
      resume('socketio-sqlite', 'SIGKILL', 2000),
      resume('ws-naive', 'SIGTERM', 1000, { missing: 40 }),
    ];
    const goals = evaluateGoals(results([], { resume: rows }));
    const sigterm = goals.find((g) => g.goal.startsWith('resume after SIGTERM'));
    const sigkill = goals.find((g) => g.goal.startsWith('resume after SIGKILL'));
    expect(sigterm).toEqual({
      goal: 'resume after SIGTERM: time until all rejoined, Tether ÷ Socket.IO + SQLite',
      measured: '0.50 ×',
      target: '<= 1 ×',
      pass: true,
      note: 'Tether: 0 missing, 0 duplicates',
    });
    expect(sigkill).toMatchObject({
      measured: '1.50 ×',
      pass: false,
      note: 'Tether: 0 missing, 2 duplicates',
    });

    const stuck = evaluateGoals(
      results([], {
        resume: [
          resume('tether', 'SIGTERM', 900, { resumed: 1990 }),
          resume('socketio-sqlite', 'SIGTERM', 3000),
        ],
      }),
    ).find((g) => g.goal.startsWith('resume after SIGTERM'));
    expect(stuck).toMatchObject({ measured: '1990/2000 rejoined within the timeout', pass: false });
    expect(
      evaluateGoals(results([], { resume: [resume('tether', 'SIGKILL', 900)] })).find((g) =>
        g.goal.startsWith('resume after SIGKILL'),
      ),
    ).toMatchObject({ measured: 'no data', pass: undefined });
  });

  it('renders every server of the storm and of both restarts side by side, SIGTERM rows first', () => {
    const table = resumeTable([
      resume('tether', 'SIGTERM', 1500),
      resume('tether', 'SIGKILL', 3000),
      resume('socketio-sqlite', 'SIGTERM', 3000),
      resume('socketio-sqlite', 'SIGKILL', 2000, { resumed: 1999 }),
      resume('ws-naive', 'SIGTERM', 1000, { missing: 40 }),
      resume('ws-naive', 'SIGKILL', 1000),
      resume('socketio', 'SIGTERM', 1200, { duplicates: 3 }),
      resume('socketio', 'SIGKILL', 1200),
    ]);
    expect(table[0]).toMatch(
      /^\| server \| restart \| clients \/ rooms \| clients back in \(s\) \| server down \(s\) \| missing \(clients\) \| duplicates \|/,
    );
    const body = table.slice(2).map((line) => line.split(' | ').slice(0, 7).join(' | '));
    expect(body).toEqual([
      '| tether | SIGTERM | 2000 / 10 | 1.50 | 0.80 | 0 (0) | 0',
      '| socketio-sqlite | SIGTERM | 2000 / 10 | 3.00 | 0.80 | 0 (0) | 0',
      '| ws-naive | SIGTERM | 2000 / 10 | 1.00 | 0.80 | 40 (1) | 0',
      '| socketio | SIGTERM | 2000 / 10 | 1.20 | 0.80 | 0 (0) | 3',
      '| tether | SIGKILL | 2000 / 10 | 3.00 | 0.80 | 0 (0) | 0',
      '| socketio-sqlite | SIGKILL | 2000 / 10 | ✗ 1999/2000 in 2.00 | 0.80 | 0 (0) | 0',
      '| ws-naive | SIGKILL | 2000 / 10 | 1.00 | 0.80 | 0 (0) | 0',
      '| socketio | SIGKILL | 2000 / 10 | 1.20 | 0.80 | 0 (0) | 0',
    ]);
    expect(table[2]).toContain('| 2,000 / 10 / 5 (3) | 1001 hint 2,000 |');

    const storms = stormTable([
      storm('tether', 2000),
      storm('ws-naive', 4000),
      storm('socketio', 9000, { joined: 4999, failed: 1, closes: { '1006 before open': 7 } }),
    ]);
    expect(storms.slice(2).map((line) => line.split(' | ').slice(0, 7).join(' | '))).toEqual([
      '| tether | 5,000 | 2.00 | 5.00 / 10.0 | ✓ all 5,000 joined, memberCount 5,000 | 0 | ',
      '| ws-naive | 5,000 | 4.00 | 5.00 / 10.0 | ✓ all 5,000 joined | 0 | ',
      '| socketio | 5,000 | 9.00 | 5.00 / 10.0 | ✗ 4999/5000 joined, 1 failed | 0 | 1006 before open 7',
    ]);
    // A run of the storm alone lists the storm's goal, not the fan-out's.
    const markdown = renderMarkdown(results([], { storm: [storm('tether', 2000)] }));
    expect(markdown).toContain('## Goals');
    expect(markdown).toContain(
      '| connect storm of 5,000: time until all joined, Tether ÷ ws-naive | no data |',
    );
    expect(markdown).not.toContain('fan-out deliveries/s');
    expect(markdown).toContain('## 3. Connect storm');
  });
});
