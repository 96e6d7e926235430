/**
 * The durable-ingest table (shared by the ingest and postgres sections) and
 * the postgres section of the report: Tether on PostgreSQL beside its peer and
 * beside Tether on SQLite, then several processes on one PostgreSQL and one
 * Redis, each with what limited it.
 */
import { cpu, generatorCpu, int, p5099, pct } from './format.js';
import type { IngestPhase, IngestRow, Results, ScaleOutFanout } from './results.js';
import {
  SATURATED_PERCENT,
  burstPhase,
  cpuPerDeliveryMicros,
  fanoutAt,
  largestFanout,
  postgresIngestOf,
  sqliteIngest,
} from './results.js';

/** `PostgreSQL 61 %, Redis 3 %`; '' for none. */
const named = (cpus: Record<string, number> | undefined): string =>
  Object.entries(cpus ?? {})
    .map(([k, v]) => `${k} ${pct(v)}`)
    .join(', ');

/** The CPU besides the server's total: each process of several, then PostgreSQL and Redis. */
function otherCell(p: IngestPhase): string {
  const parts: string[] = [];
  if (p.cpuPerProcess) parts.push(`processes ${p.cpuPerProcess.map(pct).join(' + ')}`);
  const others = named(p.otherCpu);
  if (others) parts.push(others);
  return parts.join('; ');
}

export function ingestTable(rows: readonly IngestRow[]): string[] {
  const withOthers = rows.some((r) =>
    r.phases.some((p) => p.otherCpu !== undefined || p.cpuPerProcess !== undefined),
  );
  const out = [
    `| server | phase | acked/s | ack p50 / p99 ms | sent | acked | refused | skipped (cap) | unacked | server / generator CPU |${withOthers ? ' other CPU |' : ''}`,
    `| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |${withOthers ? ' --- |' : ''}`,
  ];
  for (const r of rows) {
    for (const p of r.phases) {
      const refusals = Object.entries(p.result.refusals)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      out.push(
        `| ${r.label} | ${p.name} | ${int(p.result.ackedPerSec)} | ${p5099(p.result.ackMs)} | ${int(p.result.sent)} | ${int(p.result.acked)} | ${int(p.result.refused)}${refusals ? ` (${refusals})` : ''} | ${int(p.result.skipped)} | ${int(p.result.unacked)} | ${cpu(p.cpu)} |${withOthers ? ` ${otherCell(p)} |` : ''}`,
      );
    }
  }
  return out;
}

/** Why a durable-ingest phase waited when no core was full. */
const INGEST_WAIT = 'the time went in waiting, for commits (the WAL flush) and round trips';

/**
 * Why a closed-loop fan-out waited when no core was full: it keeps a fixed
 * number of messages in flight, so the round trip of one (send, commit, the
 * Redis bus, delivery) sets the rate.
 */
const FANOUT_WAIT = (fanout: ScaleOutFanout): string => {
  const perSec = fanout.saturation.result.deliveriesPerSec / fanout.clients;
  const roundTrip = perSec > 0 ? (1000 * fanout.windowMessages) / perSec : 0;
  return (
    `the closed loop's window (${int(fanout.windowMessages)} messages in flight) over each message's round trip ` +
    `(send, commit, Redis bus, delivery): ${int(perSec)} messages/s, so about ${int(roundTrip)} ms each`
  );
};

/**
 * What limited a phase in which the servers, PostgreSQL and Redis share one
 * core and the generator has the other: the shared core when its processes
 * add up to (nearly) all of it, else the generator when it saturated its own,
 * else neither core was full, so the time went in waiting (commit round trips,
 * the WAL flush). `coreBusy` (the whole core, every process on the machine)
 * tells a core that other load filled from one that sat idle.
 */
export function limitOf(
  serverPercent: number,
  others: Record<string, number>,
  generatorPercent: number,
  waiting = INGEST_WAIT,
  coreBusy?: number,
): string {
  const shares = { Tether: serverPercent, ...others };
  const total = Object.values(shares).reduce((a, b) => a + b, 0);
  const split = Object.entries(shares)
    .map(([k, v]) => `${k} ${pct(v)}`)
    .join(' + ');
  if (total >= SATURATED_PERCENT) return `the servers' core was full (${split} = ${pct(total)})`;
  if (coreBusy !== undefined && coreBusy >= SATURATED_PERCENT) {
    return (
      `the servers' core was full (${pct(coreBusy)} busy), but only ${pct(total)} of it ours (${split}): ` +
      'other load on the machine took the rest, so this figure is low; rerun on a quiet machine'
    );
  }
  if (generatorPercent >= SATURATED_PERCENT) return `the load generator (${generatorCpu(generatorPercent)})`;
  const busy = coreBusy === undefined ? '' : `, ${pct(coreBusy)} busy in all`;
  return `neither core was full (servers' core ${split} = ${pct(total)}${busy}, generator ${pct(generatorPercent)}): ${waiting}`;
}

/** CPU per delivery of one Tether process on SQLite in the fan-out scenario of the same run, beside the processes'. */
function sqliteFanoutLine(results: Results, perDelivery: number | undefined): string[] {
  const n = largestFanout(results);
  const single = fanoutAt(results, 'tether', n)?.saturation;
  const singleUs = single && cpuPerDeliveryMicros(single);
  if (perDelivery === undefined || singleUs === undefined) return [];
  return [
    `- Server CPU per delivery, all processes added up: ${perDelivery.toFixed(2)} µs, against ${singleUs.toFixed(2)} µs for one Tether process on SQLite in fan-out (N = ${int(n)}) of this run (${(perDelivery / singleUs).toFixed(2)} ×).`,
  ];
}

const ratio = (a: number | undefined, b: number | undefined): string =>
  a !== undefined && b !== undefined && b > 0 ? `${(a / b).toFixed(2)} ×` : 'n/a';

/** One sentence on a durable-ingest burst: acked/s and what limited it. */
function burstLine(row: IngestRow | undefined): string | undefined {
  const burst = burstPhase(row);
  if (!row || !burst) return undefined;
  return `${row.label}: ${int(burst.result.ackedPerSec)} acked/s in the burst; limit: ${limitOf(burst.cpu.server, burst.otherCpu ?? {}, burst.cpu.generator, INGEST_WAIT, burst.cpu.serverCore)}.`;
}

export function postgresSection(results: Results): string[] {
  const pg = results.postgres;
  if (!pg) return [];
  const lines: string[] = ['## 5. Tether on PostgreSQL', ''];
  lines.push(
    `${pg.version}; ${results.settings.postgresql ?? ''}. ` +
      "Every server process, every PostgreSQL process and redis-server run on the servers' core (core 0, taskset) and the load generator on core 1: " +
      `the ${pg.scaleOut.processes} processes below share one core with PostgreSQL and Redis, so they show what the shared path costs, not how far more cores would scale. ` +
      '"other CPU": PostgreSQL is the postmaster and all its children (backends, WAL writer, checkpointer) added up.',
    '',
  );
  const tether = postgresIngestOf(results, 'tether-postgres');
  const peer = postgresIngestOf(results, 'socketio-postgres');
  const sqlite = sqliteIngest(results);
  if (pg.ingest.length > 0) {
    lines.push('### Durable ingest, one process', '');
    const rows = [...pg.ingest, ...(sqlite?.from === 'postgres' ? [sqlite.row] : [])];
    lines.push(...ingestTable(rows), '');
    const burst = (row: IngestRow | undefined): number | undefined => burstPhase(row)?.result.ackedPerSec;
    lines.push(
      `Burst, acked messages/s: Tether on PostgreSQL ÷ Socket.IO + PostgreSQL ${ratio(burst(tether), burst(peer))}, ` +
        `÷ Tether on SQLite ${ratio(burst(tether), burst(sqlite?.row))} (SQLite: ${
          sqlite === undefined
            ? 'not measured'
            : sqlite.from === 'ingest'
              ? `${int(burst(sqlite.row) ?? 0)}/s, the ingest scenario's burst`
              : `${int(burst(sqlite.row) ?? 0)}/s, measured here the same way`
        }).`,
      '',
    );
    for (const line of [burstLine(tether), burstLine(peer)]) if (line) lines.push(`- ${line}`);
    lines.push('');
  }
  const { ingest, fanout, processes } = pg.scaleOut;
  if (ingest || fanout) {
    lines.push(`### ${processes} processes on one PostgreSQL and one Redis`, '');
    if (ingest) {
      lines.push(
        `Durable ingest, the senders split round-robin over the ${processes} processes:`,
        '',
        ...ingestTable([ingest]),
        '',
      );
      const line = burstLine(ingest);
      if (line) lines.push(`- ${line}`, '');
    }
    if (fanout) {
      const sat = fanout.saturation;
      // CPU time per delivery, which other load on the machine does not distort (unlike deliveries/s).
      const perDelivery = cpuPerDeliveryMicros(sat);
      lines.push(
        `Fan-out: one room of ${int(fanout.clients)} clients spread round-robin over the ${processes} processes, 4 senders, closed loop (as in fan-out):`,
        '',
        '| processes | clients | deliveries/s at saturation | p50 / p99 ms | CPU per process | server CPU µs per delivery | other CPU | generator CPU | room set up in (s) |',
        '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
        `| ${processes} | ${int(fanout.clients)} | ${int(sat.result.deliveriesPerSec)} | ${p5099(sat.result.latencyMs)} | ${(sat.cpuPerProcess ?? []).map(pct).join(' + ')} | ${perDelivery === undefined ? 'n/a' : perDelivery.toFixed(2)} | ${named(sat.otherCpu)} | ${generatorCpu(sat.cpu.generator)} | ${(fanout.connect.elapsedMs / 1000).toFixed(1)} |`,
        '',
        ...sqliteFanoutLine(results, perDelivery),
        `- Fan-out limit: ${limitOf(sat.cpu.server, sat.otherCpu ?? {}, sat.cpu.generator, FANOUT_WAIT(fanout), sat.cpu.serverCore)}.`,
        '',
      );
    }
  }
  return lines;
}
