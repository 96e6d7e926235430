/**
 * The results as Markdown (tables, the goals with PASS/MISS) and JSON
 * (everything measured), written to bench/results/<mode>.md and .json.
 */
import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import type { Percentiles } from './metrics/samples.js';
import type { CpuPair, FanoutPhase, FanoutRow, IngestRow, Results } from './results.js';
import type { ServerId } from './servers/types.js';

/** A process at or above this share of its core was the bottleneck. */
export const SATURATED_PERCENT = 90;

const int = (n: number): string => Math.round(n).toLocaleString('en');
const ms = (n: number): string => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
const kib = (bytes: number): string => (bytes / 1024).toFixed(1);
const pct = (n: number): string => `${n.toFixed(0)} %`;
const cpu = (c: CpuPair): string =>
  `${pct(c.server)} / ${pct(c.generator)}${c.generator >= SATURATED_PERCENT ? ' ⚠' : ''}`;
const p5099 = (p: Percentiles): string => (p.count === 0 ? 'n/a' : `${ms(p.p50)} / ${ms(p.p99)}`);

export interface Goal {
  goal: string;
  measured: string;
  target: string;
  pass: boolean | undefined;
  note: string;
}

function fanoutAt(results: Results, server: ServerId, clients: number): FanoutRow | undefined {
  return results.fanout.find((r) => r.server === server && r.clients === clients);
}

function loadAt(row: FanoutRow | undefined, offered: number): FanoutPhase | undefined {
  return row?.loads.find((l) => l.offered === offered);
}

function burst(row: IngestRow | undefined): IngestRow['phases'][number] | undefined {
  return row?.phases.find((p) => p.burstPerSender !== undefined);
}

function genNote(...phases: (FanoutPhase | undefined)[]): string {
  return phases.some((p) => p && p.cpu.generator >= SATURATED_PERCENT)
    ? 'generator saturated: the load generator, not the server, set this number'
    : '';
}

/** The issue's goals, evaluated on the largest fan-out size of the run. */
export function evaluateGoals(results: Results): Goal[] {
  const goals: Goal[] = [];
  const sizes = results.fanout.map((r) => r.clients);
  const n = sizes.length > 0 ? Math.max(...sizes) : 0;
  const tether = fanoutAt(results, 'tether', n);
  const naive = fanoutAt(results, 'ws-naive', n);
  const sio = fanoutAt(results, 'socketio', n);
  const ratio = (
    goal: string,
    a: number | undefined,
    b: number | undefined,
    op: '>=' | '<=',
    limit: number,
    note = '',
  ): void => {
    if (a === undefined || b === undefined || b === 0) {
      goals.push({ goal, measured: 'no data', target: `${op} ${limit}`, pass: undefined, note });
      return;
    }
    const r = a / b;
    // Two decimals, or three where two would round onto the limit and hide the result.
    const shown = r.toFixed(2) === limit.toFixed(2) ? r.toFixed(3) : r.toFixed(2);
    goals.push({
      goal,
      measured: `${shown} ×`,
      target: `${op} ${limit} ×`,
      pass: op === '>=' ? r >= limit : r <= limit,
      note,
    });
  };
  const absolute = (
    goal: string,
    value: number | undefined,
    limit: number,
    unit: string,
    note = '',
  ): void => {
    goals.push({
      goal,
      measured: value === undefined ? 'no data' : `${ms(value)} ${unit}`,
      target: `<= ${limit} ${unit}`,
      pass: value === undefined ? undefined : value <= limit,
      note,
    });
  };
  const satNote = genNote(tether?.saturation, naive?.saturation, sio?.saturation);
  ratio(
    `fan-out deliveries/s at saturation, Tether ÷ ws-naive (N = ${n})`,
    tether?.saturation.result.deliveriesPerSec,
    naive?.saturation.result.deliveriesPerSec,
    '>=',
    5,
    satNote,
  );
  ratio(
    `fan-out deliveries/s at saturation, Tether ÷ Socket.IO (N = ${n})`,
    tether?.saturation.result.deliveriesPerSec,
    sio?.saturation.result.deliveriesPerSec,
    '>=',
    5,
    satNote,
  );
  const t100 = loadAt(tether, 100_000);
  const n100 = loadAt(naive, 100_000);
  ratio(
    'p99 latency at 100,000 deliveries/s, Tether ÷ ws-naive',
    t100?.result.latencyMs.p99,
    n100?.result.latencyMs.p99,
    '<=',
    0.35,
    genNote(t100, n100),
  );
  absolute('p99 latency at 100,000 deliveries/s, Tether', t100?.result.latencyMs.p99, 150, 'ms');
  const t50 = loadAt(tether, 50_000);
  const n50 = loadAt(naive, 50_000);
  const f50 = loadAt(fanoutAt(results, 'ws-floor', n), 50_000);
  ratio(
    'server CPU at 50,000 deliveries/s, Tether ÷ ws-naive',
    t50?.cpu.server,
    n50?.cpu.server,
    '<=',
    0.7,
    f50 && n50 && n50.cpu.server > 0
      ? `the floor (one prebuilt frame written to each socket, nothing else) measured ${(f50.cpu.server / n50.cpu.server).toFixed(2)} × ws-naive`
      : '',
  );
  ratio(
    'RSS per idle joined connection, Tether ÷ ws-naive',
    tether?.rssPerConnection,
    naive?.rssPerConnection,
    '<=',
    1.2,
  );
  ratio(
    'RSS per idle joined connection, Tether ÷ Socket.IO',
    tether?.rssPerConnection,
    sio?.rssPerConnection,
    '<=',
    0.5,
  );
  ratio(
    'peak RSS during the burst, Tether ÷ ws-naive',
    tether?.saturation.peakRss,
    naive?.saturation.peakRss,
    '<=',
    1.2,
  );
  ratio(
    'peak RSS during the burst, Tether ÷ Socket.IO',
    tether?.saturation.peakRss,
    sio?.saturation.peakRss,
    '<=',
    0.2,
  );
  const ti = results.ingest.find((r) => r.server === 'tether');
  const si = results.ingest.find((r) => r.server === 'socketio-sqlite');
  ratio(
    'durable ingest acked messages/s (burst), Tether ÷ Socket.IO + SQLite',
    burst(ti)?.result.ackedPerSec,
    burst(si)?.result.ackedPerSec,
    '>=',
    5,
  );
  const topRate = ti?.phases.filter((p) => p.offeredPerSec !== undefined).at(-1);
  absolute(
    `ack p99 at ${int(topRate?.offeredPerSec ?? 0)} messages/s, Tether`,
    topRate?.result.ackMs.p99,
    25,
    'ms',
  );
  const trips = results.redis.find((r) => r.roundTrips)?.roundTrips;
  goals.push({
    goal: 'Redis round trips per send (Tether, 1 node)',
    measured: trips ? trips.perSend.toFixed(2) : 'no data',
    target: '1',
    pass: trips ? trips.perSend < 1.1 : undefined,
    note: '',
  });
  return goals;
}

/** Server CPU time per delivery over the whole phase (sent × recipients × delivered fraction). */
export function cpuPerDeliveryMicros(phase: FanoutPhase): number | undefined {
  const deliveries = phase.result.sent * phase.result.recipients * phase.result.deliveredFraction;
  return deliveries > 0 ? (phase.cpu.serverSeconds * 1e6) / deliveries : undefined;
}

function perDelivery(phase: FanoutPhase): string {
  const us = cpuPerDeliveryMicros(phase);
  return us === undefined ? 'n/a' : us.toFixed(2);
}

function fanoutTable(rows: FanoutRow[], loads: number[]): string[] {
  const head = [
    'server',
    'RSS / idle joined conn (KiB)',
    'deliveries/s at saturation',
    'server / generator CPU at saturation',
    'server CPU µs per delivery at saturation',
    'peak RSS in burst (MiB)',
    ...loads.flatMap((l) => [`p50 / p99 ms at ${int(l)}/s`, `server / generator CPU at ${int(l)}/s`]),
    'notes',
  ];
  const out = [`| ${head.join(' | ')} |`, `|${head.map(() => ' --- ').join('|')}|`];
  for (const r of rows) {
    const notes: string[] = [];
    const phases = [...r.loads, r.saturation];
    if (phases.some((p) => p.cpu.generator >= SATURATED_PERCENT)) {
      notes.push(
        `generator saturated in: ${phases
          .filter((p) => p.cpu.generator >= SATURATED_PERCENT)
          .map((p) => (p.offered === undefined ? 'saturation' : int(p.offered)))
          .join(', ')}`,
      );
    }
    for (const l of r.loads) {
      if (l.offered !== undefined && l.result.deliveriesPerSec < 0.9 * l.offered) {
        notes.push(`${int(l.offered)}/s not sustained (${int(l.result.deliveriesPerSec)}/s)`);
      }
    }
    for (const p of phases) {
      if (p.result.deliveredFraction < 0.999) {
        notes.push(
          `${p.offered === undefined ? 'saturation' : int(p.offered)}: ${(100 * (1 - p.result.deliveredFraction)).toFixed(2)} % of deliveries missing, ${p.result.clientsOpen} clients open`,
        );
      }
      if (p.result.refused > 0) notes.push(`${p.result.refused} sends refused`);
    }
    out.push(
      `| ${[
        r.label,
        kib(r.rssPerConnection),
        int(r.saturation.result.deliveriesPerSec),
        cpu(r.saturation.cpu),
        perDelivery(r.saturation),
        mib(r.saturation.peakRss),
        ...loads.flatMap((l) => {
          const phase = r.loads.find((x) => x.offered === l);
          return phase ? [p5099(phase.result.latencyMs), cpu(phase.cpu)] : ['n/a', 'n/a'];
        }),
        notes.join('; '),
      ].join(' | ')} |`,
    );
  }
  return out;
}

export function renderMarkdown(results: Results): string {
  const m = results.machine;
  const lines: string[] = [];
  lines.push(`# Tether benchmark: ${results.mode} run`, '');
  lines.push(
    `- Date: ${m.date}`,
    `- Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}`,
    `- Node: ${m.node}`,
    `- Load average: ${m.loadAverage.join(', ')} at the start, ${results.loadAverageAfter.join(', ')} at the end`,
    `- Duration: ${results.durationSeconds} s`,
  );
  for (const [k, v] of Object.entries(results.settings)) lines.push(`- ${k}: ${v}`);
  lines.push('');
  if (results.mode === 'quick') {
    lines.push('Quick run (CI): small sizes that keep the harness working; its numbers are not judged.', '');
  }
  for (const note of results.notes) lines.push(`> ${note}`, '');
  if (results.errors.length > 0) {
    lines.push('## Errors', '');
    for (const e of results.errors) lines.push(`- ${e}`);
    lines.push('');
  }
  lines.push(
    'CPU is % of one core from /proc/PID/stat (utime + stime); "server / generator". ⚠ marks a load generator at ≥ ' +
      `${SATURATED_PERCENT} % of its core: there, the generator was the bottleneck and the server's number is a lower bound.`,
    '',
  );

  if (results.fanout.length > 0 || results.ingest.length > 0) {
    lines.push('## Goals', '');
    lines.push('| goal | measured | target | result | note |', '| --- | --- | --- | --- | --- |');
    for (const g of evaluateGoals(results)) {
      lines.push(
        `| ${g.goal} | ${g.measured} | ${g.target} | ${g.pass === undefined ? 'NO DATA' : g.pass ? 'PASS' : 'MISS'} | ${g.note} |`,
      );
    }
    lines.push('');
    const n = Math.max(0, ...results.fanout.map((r) => r.clients));
    const perDeliveryAt = (server: ServerId): string => {
      const row = fanoutAt(results, server, n);
      const us = row ? cpuPerDeliveryMicros(row.saturation) : undefined;
      return us === undefined ? 'n/a' : `${us.toFixed(2)} µs`;
    };
    if (n > 0) {
      lines.push(
        `Server CPU time per delivery at saturation (N = ${int(n)}), which other load on the machine does not distort: ` +
          `Tether ${perDeliveryAt('tether')}, ws-naive ${perDeliveryAt('ws-naive')}, Socket.IO ${perDeliveryAt('socketio')}.`,
        '',
      );
    }
  }

  if (results.fanout.length > 0) {
    lines.push('## 1. Fan-out: one room, a few senders', '');
    lines.push(
      'RSS per connection: (RSS after joining − RSS before) ÷ N, each taken after a full GC (every server process is started with `--expose-gc` and a preload that runs `gc()` on SIGUSR2) and once RSS has settled; the same method for every server. ' +
        'Latency: send to receipt at probe clients (every 10th), payload timestamp, at fixed offered loads. ' +
        'Saturation: closed loop with a bounded number of messages in flight.',
      '',
    );
    const sizes = [...new Set(results.fanout.map((r) => r.clients))];
    const loads = [...new Set(results.fanout.flatMap((r) => r.loads.map((l) => l.offered ?? 0)))];
    for (const n of sizes) {
      lines.push(`### N = ${int(n)}`, '');
      lines.push(
        ...fanoutTable(
          results.fanout.filter((r) => r.clients === n),
          loads,
        ),
        '',
      );
      const connects = results.fanout
        .filter((r) => r.clients === n)
        .map((r) => `${r.server} ${(r.connect.elapsedMs / 1000).toFixed(1)} s`);
      lines.push(`Setting up the room (connect, hello, join; 200 at a time): ${connects.join(', ')}.`, '');
      for (const r of results.fanout.filter((x) => x.clients === n && x.heap)) {
        const h = r.heap as NonNullable<FanoutRow['heap']>;
        lines.push(
          `${r.label}, from its /metrics once joined and settled: V8 heap used ${mib(h.joined.heapUsed)} MiB ` +
            `(${kib((h.joined.heapUsed - h.before.heapUsed) / n)} KiB per connection), heap total ${mib(h.joined.heapTotal)} MiB ` +
            `(${kib((h.joined.heapTotal - h.before.heapTotal) / n)} KiB per connection), external ${mib(h.joined.external)} MiB.`,
          '',
        );
      }
    }
  }

  if (results.ingest.length > 0) {
    lines.push('## 2. Durable ingest: every message acked once stored', '');
    const first = results.ingest[0] as IngestRow;
    lines.push(
      `${first.senders} senders in ${first.rooms} rooms; each message also goes to the sender's room.`,
      '',
    );
    lines.push(
      '| server | phase | acked/s | ack p50 / p99 ms | sent | acked | refused | skipped (cap) | unacked | server / generator CPU |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const r of results.ingest) {
      for (const p of r.phases) {
        const refusals = Object.entries(p.result.refusals)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ');
        lines.push(
          `| ${r.label} | ${p.name} | ${int(p.result.ackedPerSec)} | ${p5099(p.result.ackMs)} | ${int(p.result.sent)} | ${int(p.result.acked)} | ${int(p.result.refused)}${refusals ? ` (${refusals})` : ''} | ${int(p.result.skipped)} | ${int(p.result.unacked)} | ${cpu(p.cpu)} |`,
        );
      }
    }
    lines.push('');
  }

  if (results.storm.length > 0) {
    lines.push('## 3. Connect storm: connect, hello and join at once', '');
    lines.push(
      '| server | clients | all joined in (s) | join p50 / p99 ms | retries | failed | server / generator CPU | peak RSS (MiB) |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const r of results.storm) {
      lines.push(
        `| ${r.label} | ${int(r.result.requested)} | ${(r.result.elapsedMs / 1000).toFixed(2)} | ${p5099(r.result.joinMs)} | ${r.result.retries} | ${r.result.failed} | ${cpu(r.cpu)} | ${mib(r.peakRss)} |`,
      );
    }
    lines.push('');
  }

  if (results.resume.length > 0) {
    lines.push('## 4. Resume after restart (SIGTERM, start again)', '');
    lines.push(
      'One sender per room sends throughout; clients reconnect with full-jitter backoff [0, min(10 s, 0.5 s × 2^(n-1))]. ' +
        '"Missing": messages a client never received (gaps in the sender counters, over all clients).',
      '',
    );
    lines.push(
      '| server | clients / rooms | server down (s) | all rejoined (s) | rejoin p50 / p99 ms | attempts p50 / p99 | missing (clients) | duplicates | unacked sends |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const r of results.resume) {
      lines.push(
        `| ${r.label} | ${r.clients} / ${r.rooms} | ${(r.downMs / 1000).toFixed(2)} | ${r.resumed.resumed < r.clients ? `${r.resumed.resumed}/${r.clients} in ` : ''}${(r.resumed.allResumedMs / 1000).toFixed(2)} | ${p5099(r.resumed.resumeMs)} | ${r.resumed.attempts.p50} / ${r.resumed.attempts.p99} | ${int(r.verify.missing)} (${r.verify.clientsMissing}) | ${r.verify.duplicates} | ${r.verify.unackedSends} |`,
      );
    }
    lines.push('');
  }

  if (results.redis.length > 0) {
    lines.push('## Tether on Redis: 1 node against 2 nodes', '');
    lines.push(
      `redis-server started by the harness on a free loopback port with ${results.settings.redis ?? ''}; every process on core 0, so two nodes share one core here.`,
      '',
    );
    lines.push(
      '| nodes | clients | deliveries/s at saturation | CPU per node | redis CPU | generator CPU |',
      '| --- | --- | --- | --- | --- | --- |',
    );
    for (const r of results.redis) {
      lines.push(
        `| ${r.nodes} | ${int(r.clients)} | ${int(r.saturation.result.deliveriesPerSec)} | ${r.nodeCpu.map(pct).join(' + ')} | ${pct(r.redisCpu)} | ${pct(r.saturation.cpu.generator)}${r.saturation.cpu.generator >= SATURATED_PERCENT ? ' ⚠' : ''} |`,
      );
    }
    const trips = results.redis.find((r) => r.roundTrips)?.roundTrips;
    if (trips) {
      lines.push(
        '',
        `Redis round trips per send (MONITOR, ${trips.sends} sends in ${trips.seconds.toFixed(2)} s against an idle window as long): **${trips.perSend.toFixed(2)}**. ` +
          `Per send by command (net of idle): ${Object.entries(trips.byCommand)
            .map(([k, v]) => `${k} ${v}`)
            .join(
              ', ',
            )}; commands run inside the script per send: ${trips.scriptedPerSend.toFixed(1)} (not round trips). ` +
          `With no sends, the node still ran ${trips.idlePerSecond.toFixed(1)} commands/s (${Object.entries(
            trips.idleByCommand,
          )
            .map(([k, v]) => `${k} ${v}/s`)
            .join(', ')}).`,
      );
    }
    lines.push('');
  }

  for (const p of results.profiles) {
    lines.push(`## CPU profile: Tether, ${p.phase} (N = ${int(p.clients)})`, '');
    lines.push(
      `node --cpu-prof; only the samples taken during this phase (${ms(p.totalMs)} ms sampled, ${int(p.deliveriesPerSec)} deliveries/s). ` +
        'Top functions by self time (functions V8 inlined count toward their caller):',
      '',
    );
    lines.push('| self % | self ms | function | location |', '| --- | --- | --- | --- |');
    for (const e of p.top)
      lines.push(`| ${e.selfPercent} | ${e.selfMs} | ${e.functionName} | ${e.location} |`);
    lines.push('');
  }
  return lines.join('\n');
}

function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** Writes <mode>.md and <mode>.json; returns their paths. */
export function writeReport(results: Results, dir: string): string[] {
  const md = path.join(dir, `${results.mode}.md`);
  const json = path.join(dir, `${results.mode}.json`);
  writeAtomic(json, `${JSON.stringify({ ...results, goals: evaluateGoals(results) }, null, 2)}\n`);
  writeAtomic(md, `${renderMarkdown(results)}\n`);
  return [md, json];
}
