import { describe, expect, it } from 'vitest';

import { POSTGRES_GOALS } from './goals-postgres.js';
import { evaluateGoals, goalsOfRun } from './goals.js';
import { ingestTable, limitOf, postgresSection } from './report-postgres.js';
import { parseCoreTimes } from './metrics/proc.js';
import { renderMarkdown } from './report.js';
import type { FanoutPhase, IngestPhase, IngestRow, PostgresResults, Results } from './results.js';
import type { ServerId } from './servers/types.js';
import { testResults } from './results.fixture.js';

const latency = (p99: number) => ({ count: 100, p50: p99 / 2, p90: p99, p99, max: p99, mean: p99 / 2 });

function ingestPhase(
  offered: number | undefined,
  ackedPerSec: number,
  p99: number,
  more: Partial<IngestPhase> = {},
): IngestPhase {
  return {
    name: offered === undefined ? 'burst of 100 per sender' : `${offered.toLocaleString('en')} msg/s`,
    offeredPerSec: offered,
    burstPerSender: offered === undefined ? 100 : undefined,
    result: {
      sent: 20_000,
      acked: 20_000,
      refused: 0,
      skipped: 0,
      unacked: 0,
      ackedPerSec,
      measuredSeconds: 6,
      ackMs: latency(p99),
      refusals: {},
    },
    cpu: { server: 50, generator: 30, serverSeconds: 3, generatorSeconds: 2 },
    ...more,
  };
}

/** A durable-ingest row: 5,000 msg/s at `p99`, then a burst at `burst` acked/s. */
function ingest(server: ServerId, burst: number, p99 = 10, at5000 = 5000): IngestRow {
  return {
    server,
    label: server,
    senders: 200,
    rooms: 10,
    phases: [ingestPhase(5000, at5000, p99), ingestPhase(undefined, burst, 500)],
  };
}

function postgres(more: Partial<PostgresResults> = {}): PostgresResults {
  return {
    version: 'postgres (PostgreSQL) 15.0',
    ingest: [ingest('tether-postgres', 12_000, 20), ingest('socketio-postgres', 2000, 4000, 1900)],
    sqlite: undefined,
    scaleOut: { processes: 3, ingest: undefined, fanout: undefined },
    ...more,
  };
}

function results(more: Partial<Results> = {}): Results {
  return testResults(more);
}

const judge = (r: Results) => evaluateGoals(r, POSTGRES_GOALS);

describe('the PostgreSQL goals', () => {
  it('judge Tether on PostgreSQL against its peer and against Tether on SQLite of the ingest scenario', () => {
    const [peer, sqlite, p99] = judge(results({ ingest: [ingest('tether', 20_000)], postgres: postgres() }));
    expect(peer).toMatchObject({
      goal: 'durable ingest on PostgreSQL, acked messages/s (burst), Tether ÷ Socket.IO + PostgreSQL (one process each)',
      measured: '6.00 ×',
      target: '>= 5 ×',
      pass: true,
    });
    expect(sqlite).toMatchObject({ measured: '0.60 ×', target: '>= 0.5 ×', pass: true, note: '' });
    expect(p99).toEqual({
      goal: 'ack p99 at 5,000 messages/s, Tether on PostgreSQL (one process)',
      measured: '20.0 ms',
      target: '<= 25 ms',
      pass: true,
      note: 'Socket.IO + PostgreSQL at 5,000/s: 1,900 acked/s, p99 4000 ms (not sustained)',
    });
  });

  it('take Tether on SQLite from the postgres scenario when the ingest scenario did not run, and say so', () => {
    const [, sqlite] = judge(results({ postgres: postgres({ sqlite: ingest('tether', 30_000) }) }));
    expect(sqlite).toMatchObject({
      measured: '0.40 ×',
      pass: false,
      note: 'SQLite measured in the postgres scenario (the ingest scenario did not run)',
    });
    // The ingest scenario's row comes first when both exist.
    const [, both] = judge(
      results({
        ingest: [ingest('tether', 12_000)],
        postgres: postgres({ sqlite: ingest('tether', 30_000) }),
      }),
    );
    expect(both).toMatchObject({ measured: '1.00 ×', pass: true, note: '' });
  });

  it('have no data without the peer or without SQLite, and are listed only when the scenario ran', () => {
    const goals = judge(results({ postgres: postgres({ ingest: [ingest('tether-postgres', 12_000, 30)] }) }));
    expect(goals.map((g) => [g.measured, g.pass])).toEqual([
      ['no data', undefined],
      ['no data', undefined],
      ['30.0 ms', false],
    ]);
    expect(goals[2]?.note).toBe('');
    const listed = (r: Results) => goalsOfRun(r).filter((g) => POSTGRES_GOALS.includes(g)).length;
    expect(listed(results({ ingest: [ingest('tether', 1)] }))).toBe(0);
    expect(listed(results({ postgres: postgres() }))).toBe(3);
  });
});

describe('parseCoreTimes', () => {
  it('counts all but idle and iowait as busy, for the core asked', () => {
    const stat = 'cpu  10 0 10 100 5 0 0 0 0 0\ncpu0 30 1 9 50 10 0 0 0 0 0\ncpu1 1 2 3 4 5 6 7 8 0 0\n';
    expect(parseCoreTimes(stat, 0)).toEqual({ busy: 40, total: 100 });
    expect(parseCoreTimes(stat, 1)).toEqual({ busy: 27, total: 36 });
    expect(parseCoreTimes(stat, 2)).toBeUndefined();
  });
});

describe('limitOf', () => {
  it('names the shared core when its processes add up to all of it', () => {
    expect(limitOf(60, { PostgreSQL: 35 }, 40)).toBe(
      "the servers' core was full (Tether 60 % + PostgreSQL 35 % = 95 %)",
    );
  });
  it('names the generator when only its core was full', () => {
    expect(limitOf(50, { PostgreSQL: 10 }, 95)).toBe('the load generator (95 % ⚠)');
  });
  it('tells a core other load filled from one our processes filled', () => {
    expect(limitOf(40, { PostgreSQL: 10 }, 30, 'why', 97)).toBe(
      "the servers' core was full (97 % busy), but only 50 % of it ours (Tether 40 % + PostgreSQL 10 %): other load on the machine took the rest, so this figure is low; rerun on a quiet machine",
    );
    expect(limitOf(40, { PostgreSQL: 10 }, 30, 'why', 55)).toBe(
      "neither core was full (servers' core Tether 40 % + PostgreSQL 10 % = 50 %, 55 % busy in all, generator 30 %): why",
    );
  });
  it('says the time went in waiting when neither core was full', () => {
    expect(limitOf(40, { PostgreSQL: 10, Redis: 1 }, 30, 'why')).toBe(
      "neither core was full (servers' core Tether 40 % + PostgreSQL 10 % + Redis 1 % = 51 %, generator 30 %): why",
    );
  });
});

describe('the postgres section', () => {
  it('adds the other-CPU column only when a phase measured other processes', () => {
    expect(ingestTable([ingest('tether', 1)])[0]).not.toContain('other CPU');
    const row = ingest('tether-postgres-3', 9000);
    row.phases[1] = ingestPhase(undefined, 9000, 100, {
      otherCpu: { PostgreSQL: 30, Redis: 2 },
      cpuPerProcess: [20, 21, 22],
    });
    const table = ingestTable([row]);
    expect(table[0]).toMatch(/\| other CPU \|$/);
    expect(table[2]?.endsWith('|  |')).toBe(true);
    expect(table[3]).toContain('| processes 20 % + 21 % + 22 %; PostgreSQL 30 %, Redis 2 % |');
  });

  it('writes the ratios, the limits and the three processes, and nothing without the scenario', () => {
    expect(postgresSection(results())).toEqual([]);
    const saturation: FanoutPhase = {
      offered: undefined,
      result: {
        sent: 1000,
        recipients: 5000,
        deliveriesPerSec: 500_000,
        measuredSeconds: 6,
        deliveredFraction: 1,
        latencyMs: latency(50),
        clientsOpen: 5000,
        refused: 0,
      },
      cpu: { server: 60, generator: 40, serverSeconds: 4, generatorSeconds: 3 },
      peakRss: 0,
      cpuPerProcess: [20, 20, 20],
      otherCpu: { PostgreSQL: 10, Redis: 5 },
    };
    const connect = {
      requested: 5000,
      joined: 5000,
      failed: 0,
      retries: 0,
      elapsedMs: 4000,
      joinMs: latency(10),
      closes: {},
      refusals: {},
    };
    const r = results({
      ingest: [ingest('tether', 20_000)],
      postgres: postgres({
        scaleOut: {
          processes: 3,
          ingest: ingest('tether-postgres-3', 8000),
          fanout: { clients: 5000, connect, saturation, windowMessages: 40 },
        },
      }),
    });
    const text = postgresSection(r).join('\n');
    expect(text).toContain(
      "Tether on PostgreSQL ÷ Socket.IO + PostgreSQL 6.00 ×, ÷ Tether on SQLite 0.60 × (SQLite: 20,000/s, the ingest scenario's burst).",
    );
    expect(text).toContain('### 3 processes on one PostgreSQL and one Redis');
    // 4 CPU seconds over 1,000 messages to 5,000 members: 0.80 µs per delivery.
    expect(text).toContain(
      '| 3 | 5,000 | 500,000 | 25.0 / 50.0 | 20 % + 20 % + 20 % | 0.80 | PostgreSQL 10 %, Redis 5 % | 40 % | 4.0 |',
    );
    expect(text).toContain(
      "- Fan-out limit: neither core was full (servers' core Tether 60 % + PostgreSQL 10 % + Redis 5 % = 75 %, generator 40 %): " +
        "the closed loop's window (40 messages in flight) over each message's round trip (send, commit, Redis bus, delivery): 100 messages/s, so about 400 ms each.",
    );
    const markdown = renderMarkdown(r);
    expect(markdown).toContain('## 5. Tether on PostgreSQL');
    expect(markdown).toContain(
      '| ack p99 at 5,000 messages/s, Tether on PostgreSQL (one process) | 20.0 ms |',
    );
    expect(markdown).not.toContain('Redis round trips');
  });
});
