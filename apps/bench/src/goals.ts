/**
 * The bench's goals as data: one row per goal (its wording, the figure it
 * judges, the comparison and the bound, where its note comes from),
 * judged by evaluateGoal and written as Markdown by renderGoals.
 *
 * A ratio goal divides a figure of one server by the same figure of a peer
 * measured in the same run (Tether ÷ ws-naive >= 5 ×); an absolute goal
 * compares one server's figure with a fixed bound (<= 25 ms). A goal may
 * also check that the figure means what it says (every client of the storm
 * joined): a judged server that fails the check misses the goal, a peer that
 * fails it leaves the goal without data.
 */
import { int, ms } from './format.js';
import { POSTGRES_GOALS } from './goals-postgres.js';
import type { FanoutPhase, Results } from './results.js';
import {
  fanoutAt,
  generatorSaturated,
  ingestOf,
  largestFanout,
  resumeOf,
  resumeProblem,
  stormOf,
  stormProblem,
} from './results.js';
import type { RestartKind, ServerId } from './servers/types.js';

export type { AbsoluteGoal, Comparison, Figure, GoalRow, GoalScenario, RatioGoal, Run } from './goal-rows.js';
import type { Comparison, GoalRow, GoalScenario, Run } from './goal-rows.js';

/** A goal judged on one run, as the Markdown table and the JSON `goals` field give it. */
export interface Goal {
  goal: string;
  measured: string;
  target: string;
  /** undefined: a figure was not measured (NO DATA). */
  pass: boolean | undefined;
  note: string;
}

// The figures the goals read.

const fanout = (run: Run, server: ServerId) => fanoutAt(run.results, server, run.clients);
const saturation = (run: Run, server: ServerId): FanoutPhase | undefined => fanout(run, server)?.saturation;
const atLoad =
  (offered: number) =>
  (run: Run, server: ServerId): FanoutPhase | undefined =>
    fanout(run, server)?.loads.find((l) => l.offered === offered);
const ingestBurst = (run: Run, server: ServerId) =>
  ingestOf(run.results, server)?.phases.find((p) => p.burstPerSender !== undefined);
/** The highest offered rate of durable ingest (the last rate phase). */
const ingestTopRate = (run: Run, server: ServerId) =>
  ingestOf(run.results, server)
    ?.phases.filter((p) => p.offeredPerSec !== undefined)
    .at(-1);

// The notes.

/** Warns when the generator saturated its core in the phase of any of these servers. */
const generatorNote =
  (phase: (run: Run, server: ServerId) => FanoutPhase | undefined, servers: ServerId[]) =>
  (run: Run): string =>
    servers.some((s) => generatorSaturated(phase(run, s)))
      ? 'generator saturated: the load generator, not the server, set this number'
      : '';

/** ws-floor's CPU ÷ ws-naive's: how low one write per delivery lets the server's CPU go. */
const floorNote = (run: Run): string => {
  const floor = atLoad(50_000)(run, 'ws-floor');
  const naive = atLoad(50_000)(run, 'ws-naive');
  return floor && naive && naive.cpu.server > 0
    ? `the floor (one prebuilt frame written to each socket, nothing else) measured ${(floor.cpu.server / naive.cpu.server).toFixed(2)} × ws-naive`
    : '';
};

const FANOUT_SERVERS: ServerId[] = ['tether', 'ws-naive', 'socketio'];

/** The connect storm's size in the run (Tether's row; 0 without one). */
const stormSize = (run: Run): number => stormOf(run.results, 'tether')?.result.requested ?? 0;

const stormCheck = (run: Run, server: ServerId): string | undefined => {
  const row = stormOf(run.results, server);
  return row && stormProblem(row);
};

/** Tether's storm as checked: every client joined, and the member count it reported. */
const stormNote = (run: Run): string => {
  const row = stormOf(run.results, 'tether');
  if (!row || stormProblem(row)) return '';
  return `Tether: all ${int(row.result.joined)} joined, 0 failed, the last joined's memberCount ${int(row.result.lastMemberCount ?? 0)}`;
};

/** The resume goal for one way of restarting: Tether's time until all rejoined ÷ Socket.IO + SQLite's. */
function resumeGoal(kind: RestartKind): GoalRow {
  return {
    text: `resume after ${kind}: time until all rejoined, Tether ÷ Socket.IO + SQLite`,
    scenario: 'resume',
    server: 'tether',
    peer: 'socketio-sqlite',
    figure: (run, s) => resumeOf(run.results, s, kind)?.resumed.allResumedMs,
    compare: '<=',
    bound: 1,
    check: (run, s) => {
      const row = resumeOf(run.results, s, kind);
      return row && resumeProblem(row);
    },
    note: (run) => {
      const row = resumeOf(run.results, 'tether', kind);
      return row
        ? `Tether: ${int(row.verify.missing)} missing, ${int(row.verify.duplicates)} duplicates`
        : '';
    },
  };
}

/** The goals, in the order the report lists them. Fan-out goals judge the largest size of the run. */
export const GOALS: readonly GoalRow[] = [
  {
    text: (run) => `fan-out deliveries/s at saturation, Tether ÷ ws-naive (N = ${run.clients})`,
    scenario: 'fanout',
    server: 'tether',
    peer: 'ws-naive',
    figure: (run, s) => saturation(run, s)?.result.deliveriesPerSec,
    compare: '>=',
    bound: 5,
    note: generatorNote(saturation, FANOUT_SERVERS),
  },
  {
    text: (run) => `fan-out deliveries/s at saturation, Tether ÷ Socket.IO (N = ${run.clients})`,
    scenario: 'fanout',
    server: 'tether',
    peer: 'socketio',
    figure: (run, s) => saturation(run, s)?.result.deliveriesPerSec,
    compare: '>=',
    bound: 5,
    note: generatorNote(saturation, FANOUT_SERVERS),
  },
  {
    text: 'p99 latency at 100,000 deliveries/s, Tether ÷ ws-naive',
    scenario: 'fanout',
    server: 'tether',
    peer: 'ws-naive',
    figure: (run, s) => atLoad(100_000)(run, s)?.result.latencyMs.p99,
    compare: '<=',
    bound: 0.35,
    note: generatorNote(atLoad(100_000), ['tether', 'ws-naive']),
  },
  {
    text: 'p99 latency at 100,000 deliveries/s, Tether',
    scenario: 'fanout',
    server: 'tether',
    figure: (run, s) => atLoad(100_000)(run, s)?.result.latencyMs.p99,
    compare: '<=',
    bound: 150,
    unit: 'ms',
  },
  {
    text: 'server CPU at 50,000 deliveries/s, Tether ÷ ws-naive',
    scenario: 'fanout',
    server: 'tether',
    peer: 'ws-naive',
    figure: (run, s) => atLoad(50_000)(run, s)?.cpu.server,
    compare: '<=',
    bound: 0.7,
    note: floorNote,
  },
  {
    text: 'RSS per idle joined connection, Tether ÷ ws-naive',
    scenario: 'fanout',
    server: 'tether',
    peer: 'ws-naive',
    figure: (run, s) => fanout(run, s)?.rssPerConnection,
    compare: '<=',
    bound: 1.2,
  },
  {
    text: 'RSS per idle joined connection, Tether ÷ Socket.IO',
    scenario: 'fanout',
    server: 'tether',
    peer: 'socketio',
    figure: (run, s) => fanout(run, s)?.rssPerConnection,
    compare: '<=',
    bound: 0.5,
  },
  {
    text: 'peak RSS during the burst, Tether ÷ ws-naive',
    scenario: 'fanout',
    server: 'tether',
    peer: 'ws-naive',
    figure: (run, s) => saturation(run, s)?.peakRss,
    compare: '<=',
    bound: 1.2,
  },
  {
    text: 'peak RSS during the burst, Tether ÷ Socket.IO',
    scenario: 'fanout',
    server: 'tether',
    peer: 'socketio',
    figure: (run, s) => saturation(run, s)?.peakRss,
    compare: '<=',
    bound: 0.2,
  },
  {
    text: 'durable ingest acked messages/s (burst), Tether ÷ Socket.IO + SQLite',
    scenario: 'ingest',
    server: 'tether',
    peer: 'socketio-sqlite',
    figure: (run, s) => ingestBurst(run, s)?.result.ackedPerSec,
    compare: '>=',
    bound: 5,
  },
  {
    text: (run) => `ack p99 at ${int(ingestTopRate(run, 'tether')?.offeredPerSec ?? 0)} messages/s, Tether`,
    scenario: 'ingest',
    server: 'tether',
    figure: (run, s) => ingestTopRate(run, s)?.result.ackMs.p99,
    compare: '<=',
    bound: 25,
    unit: 'ms',
  },
  {
    text: (run) => `connect storm of ${int(stormSize(run))}: time until all joined, Tether ÷ ws-naive`,
    scenario: 'storm',
    server: 'tether',
    peer: 'ws-naive',
    figure: (run, s) => stormOf(run.results, s)?.result.elapsedMs,
    compare: '<=',
    bound: 1,
    check: stormCheck,
    note: stormNote,
  },
  resumeGoal('SIGTERM'),
  resumeGoal('SIGKILL'),
  ...POSTGRES_GOALS,
];

const HOLDS: Record<Comparison, (a: number, b: number) => boolean> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>=': (a, b) => a >= b,
  '>': (a, b) => a > b,
};

/** Two decimals, or three where two would round onto the bound and hide the result. */
function showRatio(r: number, bound: number): string {
  return r.toFixed(2) === bound.toFixed(2) ? r.toFixed(3) : r.toFixed(2);
}

/** The number judged: the figure, or its ratio to the peer's; undefined if either is missing (or the peer's is 0). */
function judged(row: GoalRow, run: Run): number | undefined {
  const value = row.figure(run, row.server);
  if (row.peer === undefined || value === undefined) return value;
  const peer = row.figure(run, row.peer);
  return peer === undefined || peer === 0 ? undefined : value / peer;
}

/** How a row writes its figure and its target. */
function style(row: GoalRow): { unit?: string; show: (v: number) => string; target?: string } {
  return row.peer === undefined
    ? { unit: row.unit, show: row.show ?? ms, target: row.target }
    : { unit: '×', show: (r) => showRatio(r, row.bound) };
}

/** One row judged on the run. */
export function evaluateGoal(row: GoalRow, run: Run): Goal {
  const { unit, show, target } = style(row);
  const withUnit = (s: string): string => (unit === undefined ? s : `${s} ${unit}`);
  const judgedAs = (measured: string, pass: boolean | undefined, note: string): Goal => ({
    goal: typeof row.text === 'string' ? row.text : row.text(run),
    measured,
    target: target ?? withUnit(`${row.compare} ${row.bound}`),
    pass,
    note,
  });
  const note = row.note?.(run) ?? '';
  // A judged server whose figure is unsound misses; a peer's leaves nothing to compare with.
  const own = row.check?.(run, row.server);
  if (own !== undefined) return judgedAs(own, false, note);
  const peer = row.peer === undefined ? undefined : row.check?.(run, row.peer);
  if (peer !== undefined) return judgedAs('no data', undefined, `${row.peer}: ${peer}`);
  const value = judged(row, run);
  return value === undefined
    ? judgedAs('no data', undefined, note)
    : judgedAs(withUnit(show(value)), HOLDS[row.compare](value, row.bound), note);
}

/** Every goal of the table, judged on the run's results. */
export function evaluateGoals(results: Results, rows: readonly GoalRow[] = GOALS): Goal[] {
  const run: Run = { results, clients: largestFanout(results) };
  return rows.map((row) => evaluateGoal(row, run));
}

/** The goals of the scenarios that ran (with any results), or every goal when none did. */
export function goalsOfRun(results: Results, rows: readonly GoalRow[] = GOALS): GoalRow[] {
  const ran: Record<GoalScenario, boolean> = {
    fanout: results.fanout.length > 0,
    ingest: results.ingest.length > 0,
    storm: results.storm.length > 0,
    resume: results.resume.length > 0,
    postgres: results.postgres !== undefined,
  };
  if (!Object.values(ran).some(Boolean)) return [...rows];
  return rows.filter((row) => row.scenario === undefined || ran[row.scenario]);
}

/** The goals as a Markdown table. */
export function renderGoals(goals: readonly Goal[]): string[] {
  const verdict = (pass: boolean | undefined): string =>
    pass === undefined ? 'NO DATA' : pass ? 'PASS' : 'MISS';
  return [
    '| goal | measured | target | result | note |',
    '| --- | --- | --- | --- | --- |',
    ...goals.map((g) => `| ${g.goal} | ${g.measured} | ${g.target} | ${verdict(g.pass)} | ${g.note} |`),
  ];
}
