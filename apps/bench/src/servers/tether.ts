/**
 * Tether as users run it: the built `apps/server/dist/main.js` (what `pnpm
 * start` runs), SQLite by default or PostgreSQL with DATABASE_URL (and
 * several processes with REDIS_URL besides), every protocol check on. Only
 * the settings named in the report are changed.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { BENCH_ROOT, REPO_ROOT, SERVER_NODE_FLAGS, TETHER_ENTRY } from '../paths.js';
import { killProcess, spawnManaged, stopProcess, type ManagedProcess } from '../processes.js';
import { freePort, waitReady } from './ready.js';
import type { ServerId, ServerInstance, StartContext } from './types.js';

function newest(file: string): number {
  let stats;
  try {
    stats = statSync(file);
  } catch {
    return 0;
  }
  let latest = stats.mtimeMs;
  if (stats.isDirectory()) {
    for (const entry of readdirSync(file)) latest = Math.max(latest, newest(path.join(file, entry)));
  }
  return latest;
}

/** Touched after each successful build: tsc's incremental builds leave unchanged outputs' mtimes alone. */
const STAMP = path.join(BENCH_ROOT, 'dist/.tether-built');
const SOURCES = ['packages/protocol/src', 'apps/server/src'];

/**
 * Builds the protocol and the server when their dist is missing or older than
 * their sources (the web UI is not needed to serve /ws).
 */
export function ensureTetherBuilt(): void {
  const outputs = ['packages/protocol/dist/index.js', 'apps/server/dist/main.js'].map((o) =>
    newest(path.join(REPO_ROOT, o)),
  );
  const builtAt = Math.max(newest(STAMP), ...outputs);
  const fresh =
    outputs.every((at) => at > 0) &&
    SOURCES.every((source) => newest(path.join(REPO_ROOT, source)) <= builtAt);
  if (fresh) return;
  process.stdout.write('bench: building @tether/protocol and @tether/server (dist missing or stale)\n');
  const result = spawnSync(
    'pnpm',
    ['--filter', '@tether/protocol', '--filter', '@tether/server', 'run', 'build'],
    { cwd: REPO_ROOT, stdio: 'inherit' },
  );
  if (result.status !== 0) throw new Error('building the Tether server failed');
  mkdirSync(path.dirname(STAMP), { recursive: true });
  writeFileSync(STAMP, `${new Date().toISOString()}\n`);
}

export interface TetherOptions {
  id: ServerId;
  label: string;
  /** Extra environment (rate limits, DATABASE_URL, REDIS_URL, …). */
  env: Record<string, string>;
  /** Processes (nodes); more than one needs DATABASE_URL and REDIS_URL. */
  nodes: number;
  /** Write a V8 CPU profile of each node into this folder on exit. */
  cpuProfileDir?: string | undefined;
}

/** Every start gets a database of its own, so no scenario sees another's users or history. */
let starts = 0;

export async function startTether(ctx: StartContext, options: TetherOptions): Promise<ServerInstance> {
  const ports: number[] = [];
  for (let i = 0; i < options.nodes; i++) ports.push(await freePort());
  const run = ++starts;
  const database = path.join(ctx.workDir, `${options.id}-${run}.db`);
  const launch = (node: number): ManagedProcess =>
    spawnManaged({
      name: `${options.id}#${node}`,
      command: process.execPath,
      args: [
        ...SERVER_NODE_FLAGS,
        ...(options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : []),
        TETHER_ENTRY,
      ],
      cwd: REPO_ROOT,
      env: {
        PORT: String(ports[node]),
        HOST: '127.0.0.1',
        DATABASE_PATH: database,
        LOG_LEVEL: 'info',
        ...options.env,
      },
      cpu: ctx.serverCpu,
      logFile: path.join(ctx.workDir, `${options.id}-${run}-${node}.log`),
    });
  const processes = ports.map((_, node) => launch(node));
  try {
    await Promise.all(processes.map((p, node) => waitReady(p, ports[node] as number, '/readyz')));
  } catch (error) {
    await Promise.all(processes.map((p) => stopProcess(p, 2000)));
    throw error;
  }
  return {
    id: options.id,
    label: options.label,
    dialect: 'tether',
    socketIoAcks: false,
    hasHistory: true,
    processes,
    ports,
    stop: async () => {
      await Promise.all(processes.map((p) => stopProcess(p)));
    },
    restart: async (kind, onStopped) => {
      await Promise.all(processes.map((p) => (kind === 'SIGKILL' ? killProcess(p) : stopProcess(p))));
      onStopped?.();
      for (let node = 0; node < processes.length; node++) processes[node] = launch(node);
      await Promise.all(processes.map((p, node) => waitReady(p, ports[node] as number, '/readyz')));
    },
  };
}
