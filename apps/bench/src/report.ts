/**
 * The results as Markdown (tables, the goals with PASS/MISS) and JSON
 * (everything measured), written to bench/results/<mode>.md and .json.
 */
import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { cpu, int, kib, mib, ms, p5099 } from './format.js';
import { evaluateGoals, goalsOfRun, renderGoals } from './goals.js';
import { ingestTable, postgresSection } from './report-postgres.js';
import type { FanoutPhase, FanoutRow, IngestRow, ResumeRow, Results, StormRow } from './results.js';
import {
  SATURATED_PERCENT,
  cpuPerDeliveryMicros,
  fanoutAt,
  generatorSaturated,
  largestFanout,
  resumeProblem,
  stormProblem,
} from './results.js';
import type { ServerId } from './servers/types.js';

/** A fan-out phase by its offered load, or 'saturation'. */
const phaseName = (p: FanoutPhase): string => (p.offered === undefined ? 'saturation' : int(p.offered));

/** cpuPerDeliveryMicros to two decimals, 'n/a' without deliveries. */
function perDelivery(phase: FanoutPhase | undefined, unit = ''): string {
  const us = phase && cpuPerDeliveryMicros(phase);
  return us === undefined ? 'n/a' : `${us.toFixed(2)}${unit}`;
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
    const saturatedIn = phases.filter(generatorSaturated);
    if (saturatedIn.length > 0)
      notes.push(`generator saturated in: ${saturatedIn.map(phaseName).join(', ')}`);
    for (const l of r.loads) {
      if (l.offered !== undefined && l.result.deliveriesPerSec < 0.9 * l.offered) {
        notes.push(`${int(l.offered)}/s not sustained (${int(l.result.deliveriesPerSec)}/s)`);
      }
    }
    for (const p of phases) {
      if (p.result.deliveredFraction < 0.999) {
        notes.push(
          `${phaseName(p)}: ${(100 * (1 - p.result.deliveredFraction)).toFixed(2)} % of deliveries missing, ${p.result.clientsOpen} clients open`,
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

/** `{"1006 before open": 3}` as `1006 before open 3`; '' for none. */
const tally = (counts: Record<string, number>): string =>
  Object.entries(counts)
    .map(([k, v]) => `${k} ${int(v)}`)
    .join(', ');

/** The storm's check: what is wrong, or what was verified. */
function stormCheck(r: StormRow): string {
  const problem = stormProblem(r);
  if (problem !== undefined) return `✗ ${problem}`;
  return r.result.lastMemberCount === undefined
    ? `✓ all ${int(r.result.joined)} joined`
    : `✓ all ${int(r.result.joined)} joined, memberCount ${int(r.result.lastMemberCount)}`;
}

export function stormTable(rows: readonly StormRow[]): string[] {
  const out = [
    '| server | clients | all joined in (s) | join p50 / p99 ms | check | retries | closes before joining | errors answered | server / generator CPU | peak RSS (MiB) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    out.push(
      `| ${r.label} | ${int(r.result.requested)} | ${(r.result.elapsedMs / 1000).toFixed(2)} | ${p5099(r.result.joinMs)} | ${stormCheck(r)} | ${int(r.result.retries)} | ${tally(r.result.closes)} | ${tally(r.result.refusals)} | ${cpu(r.cpu)} | ${mib(r.peakRss)} |`,
    );
  }
  return out;
}

const RESTART_ORDER = ['SIGTERM', 'SIGKILL'];

/** Every server's resume, grouped by how the server was restarted (SIGTERM rows, then SIGKILL rows). */
export function resumeTable(rows: readonly ResumeRow[]): string[] {
  const out = [
    '| server | restart | clients / rooms | clients back in (s) | server down (s) | missing (clients) | duplicates | rejoin p50 / p99 ms | attempts p50 / p99 | waits: hint-paced / backoff / readyz probes (200) | closes after the restart | unacked sends |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  const sorted = [...rows].sort(
    (a, b) => RESTART_ORDER.indexOf(a.restart) - RESTART_ORDER.indexOf(b.restart),
  );
  for (const r of sorted) {
    const back = `${resumeProblem(r) === undefined ? '' : `✗ ${r.resumed.resumed}/${r.clients} in `}${(r.resumed.allResumedMs / 1000).toFixed(2)}`;
    const w = r.resumed.retries;
    out.push(
      `| ${r.label} | ${r.restart} | ${r.clients} / ${r.rooms} | ${back} | ${(r.downMs / 1000).toFixed(2)} | ${int(r.verify.missing)} (${r.verify.clientsMissing}) | ${int(r.verify.duplicates)} | ${p5099(r.resumed.resumeMs)} | ${r.resumed.attempts.p50} / ${r.resumed.attempts.p99} | ${int(w.paced)} / ${int(w.backoff)} / ${int(w.probes)} (${int(w.hits)}) | ${tally(r.resumed.closes)} | ${int(r.verify.unackedSends)} |`,
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

  const judged = [results.fanout, results.ingest, results.storm, results.resume];
  if (judged.some((rows) => rows.length > 0) || results.postgres !== undefined) {
    lines.push('## Goals', '');
    // The goals of the scenarios this run measured (all of them in the JSON).
    lines.push(...renderGoals(evaluateGoals(results, goalsOfRun(results))), '');
    const n = largestFanout(results);
    const perDeliveryAt = (server: ServerId): string =>
      perDelivery(fanoutAt(results, server, n)?.saturation, ' µs');
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
    lines.push(...ingestTable(results.ingest));
    lines.push('');
  }

  if (results.storm.length > 0) {
    lines.push('## 3. Connect storm: connect, hello and join at once', '');
    lines.push(
      "Every client opens its connection at the same moment; a failed attempt is retried with the client's own policy. " +
        'Check: every client joined, none failed, and for Tether the `joined` of the last client to join has `memberCount` equal to the number of clients ' +
        '(in a room over 500 members `members` lists only the first 20).',
      '',
    );
    lines.push(...stormTable(results.storm), '');
  }

  if (results.resume.length > 0) {
    lines.push('## 4. Resume after restart: SIGTERM (graceful) and SIGKILL (crash), start again', '');
    lines.push(
      'One sender per room sends throughout; each server and each restart gets a fresh server and fresh clients. ' +
        '"Clients back in": from the signal until every client has joined again; "server down": from the signal until the new process is ready. ' +
        'Tether clients follow docs/protocol.md §9: full-jitter backoff [0, min(10 s, 0.5 s × 2^(n-1))]; after a 1001 with a restart hint, attempts at retryInMs + random × spreadMs until welcomed; ' +
        'while a backoff wait is longer than 1 s, GET /readyz once a second and try at once on 200. ' +
        "Socket.IO clients follow socket.io-client's defaults (1 s × 2^k ± 50 %, at most 5 s); ws-naive clients the protocol's backoff. " +
        '"Missing": messages a client never received (gaps in the sender counters, over all clients); "duplicates": messages a client received twice.',
      '',
    );
    lines.push(...resumeTable(results.resume), '');
  }

  lines.push(...postgresSection(results));

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
