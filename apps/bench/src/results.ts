/**
 * Everything a run measured, as written to the JSON file and read by the
 * report, and the look-ups the report and the goals share.
 */
import type {
  AwaitResumedResult,
  ConnectResult,
  FanoutResult,
  IngestResult,
  VerifyResult,
} from './loadgen/commands.js';
import type { MachineInfo } from './metrics/proc.js';
import type { TetherMemory } from './metrics/tether-metrics.js';
import type { RestartKind, ServerId } from './servers/types.js';

export interface CpuPair {
  /** % of one core (all server processes added up). */
  server: number;
  generator: number;
  /** CPU seconds used during the phase; robust to other load on the machine. */
  serverSeconds: number;
  generatorSeconds: number;
}

export interface FanoutPhase {
  /** Offered deliveries per second; undefined for saturation. */
  offered: number | undefined;
  result: FanoutResult;
  cpu: CpuPair;
  /** Largest RSS of the server during the phase, bytes. */
  peakRss: number;
}

export interface FanoutRow {
  server: ServerId;
  label: string;
  clients: number;
  connect: ConnectResult;
  baseRss: number;
  joinedRss: number;
  rssPerConnection: number;
  /** Tether only (GET /metrics): V8 heap before the clients and once they joined and settled. */
  heap: { before: TetherMemory; joined: TetherMemory } | undefined;
  loads: FanoutPhase[];
  saturation: FanoutPhase;
}

export interface IngestPhase {
  name: string;
  offeredPerSec: number | undefined;
  burstPerSender: number | undefined;
  result: IngestResult;
  cpu: CpuPair;
}

export interface IngestRow {
  server: ServerId;
  label: string;
  senders: number;
  rooms: number;
  phases: IngestPhase[];
}

export interface StormRow {
  server: ServerId;
  label: string;
  result: ConnectResult;
  cpu: CpuPair;
  peakRss: number;
}

export interface ResumeRow {
  server: ServerId;
  label: string;
  /** SIGTERM (graceful) or SIGKILL (crash), then started again on the same port and data. */
  restart: RestartKind;
  clients: number;
  rooms: number;
  /** The signal to ready again. */
  downMs: number;
  resumed: AwaitResumedResult;
  verify: VerifyResult;
}

export interface RoundTrips {
  sends: number;
  seconds: number;
  /** Commands from the Tether node per send, net of the idle rate. */
  perSend: number;
  /** Commands per send by name, net of the same command's count in the idle window. */
  byCommand: Record<string, number>;
  idlePerSecond: number;
  /** Commands a second by name with no send going on (timers: membership refresh, re-reads). */
  idleByCommand: Record<string, number>;
  /** Commands run inside scripts per send (not round trips). */
  scriptedPerSend: number;
}

export interface RedisRow {
  nodes: number;
  clients: number;
  saturation: FanoutPhase;
  /** % of one core per node, and Redis's. */
  nodeCpu: number[];
  redisCpu: number;
  roundTrips: RoundTrips | undefined;
}

export interface ProfileEntry {
  functionName: string;
  location: string;
  selfMs: number;
  selfPercent: number;
}

export interface ProfileSummary {
  /** Which part of the run the samples come from. */
  phase: string;
  clients: number;
  deliveriesPerSec: number;
  totalMs: number;
  top: ProfileEntry[];
  file: string;
}

export interface Results {
  mode: 'full' | 'quick' | 'profile' | 'profile-ingest';
  machine: MachineInfo;
  loadAverageAfter: [number, number, number];
  settings: Record<string, string>;
  notes: string[];
  errors: string[];
  fanout: FanoutRow[];
  ingest: IngestRow[];
  storm: StormRow[];
  resume: ResumeRow[];
  redis: RedisRow[];
  profiles: ProfileSummary[];
  durationSeconds: number;
}

/** A process at or above this share of its core was the bottleneck. */
export const SATURATED_PERCENT = 90;

/** Whether the load generator, not the server, set the phase's numbers. */
export function generatorSaturated(phase: { cpu: CpuPair } | undefined): boolean {
  return phase !== undefined && phase.cpu.generator >= SATURATED_PERCENT;
}

/** The largest fan-out size of the run (0 without fan-out): the goals and the summary judge it. */
export function largestFanout(results: Results): number {
  return Math.max(0, ...results.fanout.map((r) => r.clients));
}

export function fanoutAt(results: Results, server: ServerId, clients: number): FanoutRow | undefined {
  return results.fanout.find((r) => r.server === server && r.clients === clients);
}

export function ingestOf(results: Results, server: ServerId): IngestRow | undefined {
  return results.ingest.find((r) => r.server === server);
}

export function stormOf(results: Results, server: ServerId): StormRow | undefined {
  return results.storm.find((r) => r.server === server);
}

/**
 * What is wrong with a storm, or undefined when it is right: every client
 * joined, none failed, and (Tether) the last `joined` counted every client as
 * a member.
 */
export function stormProblem(row: StormRow): string | undefined {
  const r = row.result;
  const problems: string[] = [];
  if (r.joined < r.requested) problems.push(`${r.joined}/${r.requested} joined`);
  if (r.failed > 0) problems.push(`${r.failed} failed`);
  const expected = r.roomClients ?? r.requested;
  if (row.server === 'tether' && r.lastMemberCount !== expected) {
    problems.push(`memberCount ${r.lastMemberCount ?? 'missing'} (expected ${expected})`);
  }
  return problems.length > 0 ? problems.join(', ') : undefined;
}

export function resumeOf(results: Results, server: ServerId, restart: RestartKind): ResumeRow | undefined {
  return results.resume.find((r) => r.server === server && r.restart === restart);
}

/** What is wrong with a resume, or undefined when every client came back. */
export function resumeProblem(row: ResumeRow): string | undefined {
  return row.resumed.resumed < row.clients
    ? `${row.resumed.resumed}/${row.clients} rejoined within the timeout`
    : undefined;
}

/** Redis round trips per send, measured on the 1-node run only. */
export function redisRoundTrips(results: Results): RoundTrips | undefined {
  return results.redis.find((r) => r.roundTrips)?.roundTrips;
}
