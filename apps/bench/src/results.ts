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
  /**
   * % busy of the servers' core over the phase, every process on the machine
   * counted (/proc/stat): above `server` (and PostgreSQL, Redis) when other
   * load shared the core. Measured where the servers are pinned.
   */
  serverCore?: number;
}

export interface FanoutPhase {
  /** Offered deliveries per second; undefined for saturation. */
  offered: number | undefined;
  result: FanoutResult;
  cpu: CpuPair;
  /** Largest RSS of the server during the phase, bytes. */
  peakRss: number;
  /** % of one core of the other processes the phase used, by name (PostgreSQL, Redis). */
  otherCpu?: Record<string, number>;
  /** With several server processes: % of one core of each. */
  cpuPerProcess?: number[];
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
  /** % of one core of the other processes the phase used, by name (PostgreSQL, Redis). */
  otherCpu?: Record<string, number>;
  /** With several server processes: % of one core of each. */
  cpuPerProcess?: number[];
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

/** Fan-out over several Tether processes: one room, its members spread over them. */
export interface ScaleOutFanout {
  clients: number;
  connect: ConnectResult;
  /** With the CPU of each process and of PostgreSQL and Redis. */
  saturation: FanoutPhase;
  /** The closed loop's messages in flight. */
  windowMessages: number;
}

/** The postgres scenario: Tether on PostgreSQL, one process and several. */
export interface PostgresResults {
  /** `postgres (PostgreSQL) 15.x`. */
  version: string;
  /** Durable ingest, one process each: Tether on PostgreSQL, Socket.IO + PostgreSQL. */
  ingest: IngestRow[];
  /** Tether on SQLite, measured in this scenario the same way when the ingest scenario did not run. */
  sqlite: IngestRow | undefined;
  /** Several Tether processes on one PostgreSQL and one Redis. */
  scaleOut: { processes: number; ingest: IngestRow | undefined; fanout: ScaleOutFanout | undefined };
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
  /** Undefined when the postgres scenario did not run (or was skipped). */
  postgres: PostgresResults | undefined;
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

/** Durable ingest on PostgreSQL of one server (one process), from the postgres scenario. */
export function postgresIngestOf(results: Results, server: ServerId): IngestRow | undefined {
  return results.postgres?.ingest.find((r) => r.server === server);
}

/**
 * Tether on SQLite's durable ingest for the comparison with PostgreSQL: the
 * ingest scenario's row of the same run, else the postgres scenario's own.
 */
export function sqliteIngest(results: Results): { row: IngestRow; from: 'ingest' | 'postgres' } | undefined {
  const own = ingestOf(results, 'tether');
  if (own) return { row: own, from: 'ingest' };
  const measuredHere = results.postgres?.sqlite;
  return measuredHere ? { row: measuredHere, from: 'postgres' } : undefined;
}

/** The burst phase of a durable-ingest row (every sender sends its burst at once). */
export function burstPhase(row: IngestRow | undefined): IngestPhase | undefined {
  return row?.phases.find((p) => p.burstPerSender !== undefined);
}

/** Server CPU time per delivery over the whole phase (sent × recipients × delivered fraction). */
export function cpuPerDeliveryMicros(phase: FanoutPhase): number | undefined {
  const deliveries = phase.result.sent * phase.result.recipients * phase.result.deliveredFraction;
  return deliveries > 0 ? (phase.cpu.serverSeconds * 1e6) / deliveries : undefined;
}
