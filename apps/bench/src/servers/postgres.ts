/**
 * A throwaway PostgreSQL cluster for one measurement (scripts/postgres-cluster.mjs:
 * fsync, synchronous_commit and full_page_writes on, as in production), pinned to
 * the servers' core like redis-server, so that what the database costs shows in
 * the same core's budget as the Tether processes that use it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { startCluster } from '../../../../scripts/postgres-cluster.mjs';
import { cpuSeconds } from '../metrics/proc.js';
import type { StartContext } from './types.js';

export interface PostgresInstance {
  url: string;
  /** The postmaster; its children are the backends, the WAL writer, the checkpointer… */
  pid: number;
  /** Every process of the cluster now (the postmaster and its children). */
  pids(): number[];
  stop(): Promise<void>;
}

/** What a run states about the cluster. */
export const POSTGRES_SETTINGS =
  'a fresh cluster per measurement (scripts/postgres-cluster.mjs): fsync, synchronous_commit and full_page_writes on, shared_buffers 128MB; pool of DATABASE_POOL_SIZE (default 10) per Tether process';

/** Where initdb and postgres are, as the cluster script looks for them; undefined when not installed. */
export function postgresBinDir(): string | undefined {
  const ok = (dir: string): boolean =>
    existsSync(path.join(dir, 'postgres')) && existsSync(path.join(dir, 'initdb'));
  const fromEnv = process.env.PG_BIN;
  if (fromEnv) return ok(fromEnv) ? fromEnv : undefined;
  let versions: string[] = [];
  try {
    versions = readdirSync('/usr/lib/postgresql').filter((v) => /^\d+$/.test(v));
  } catch {
    // Not Debian's layout: pg_config below.
  }
  for (const v of versions.sort((a, b) => Number(b) - Number(a))) {
    const dir = `/usr/lib/postgresql/${v}/bin`;
    if (ok(dir)) return dir;
  }
  const config = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  const dir = config.status === 0 ? config.stdout.trim() : '';
  return dir && ok(dir) ? dir : undefined;
}

/** `postgres (PostgreSQL) 15.x`, for the report. */
export function postgresVersion(binDir: string): string {
  return spawnSync(path.join(binDir, 'postgres'), ['--version'], { encoding: 'utf8' }).stdout.trim();
}

/** The children of a process (/proc/PID/task/PID/children; threads of PostgreSQL are processes). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/**
 * CPU seconds of a whole cluster: the postmaster and its children. A backend
 * that exits takes its CPU time with it, so the meter samples the set of pids
 * at the start and the end and counts each pid it saw (the pools keep their
 * connections open through a phase, so none is lost in practice).
 */
export class ClusterCpu {
  private readonly start = new Map<number, number>();
  private startedAt = 0;

  constructor(private readonly instance: PostgresInstance) {}

  begin(): this {
    this.startedAt = performance.now();
    for (const pid of this.instance.pids()) this.start.set(pid, cpuSeconds(pid) ?? 0);
    return this;
  }

  /** % of one core over the phase, all processes of the cluster added up. */
  end(): { percent: number; seconds: number } {
    let seconds = 0;
    for (const pid of new Set([...this.start.keys(), ...this.instance.pids()])) {
      const now = cpuSeconds(pid);
      if (now !== undefined) seconds += now - (this.start.get(pid) ?? 0);
    }
    const elapsed = (performance.now() - this.startedAt) / 1000;
    return { percent: elapsed > 0 ? (100 * seconds) / elapsed : 0, seconds };
  }
}

export async function startPostgres(ctx: StartContext): Promise<PostgresInstance> {
  // In the system temporary folder, not the work dir: the cluster runs as the
  // postgres user, who may not enter a folder mkdtemp made for root.
  const cluster = await startCluster();
  const pids = (): number[] => [cluster.pid, ...childrenOf(cluster.pid)];
  if (ctx.serverCpu !== undefined) {
    // -a: every thread of the postmaster and of the children it has now; the
    // backends it forks later inherit the postmaster's affinity.
    for (const pid of pids()) {
      spawnSync('taskset', ['-a', '-p', '-c', String(ctx.serverCpu), String(pid)], { stdio: 'ignore' });
    }
  }
  return {
    url: cluster.url,
    pid: cluster.pid,
    pids,
    stop: () => cluster.stop({ mode: 'fast' }),
  };
}
