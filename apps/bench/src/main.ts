/**
 * `pnpm bench`: Tether against a plain ws room and Socket.IO, each server in
 * its own process pinned to core 0, driven by a load generator pinned to
 * core 1, over loopback. Writes bench/results/<mode>.md and .json (full, quick, profile, profile-ingest).
 *
 *   --quick            small sizes, under 2 minutes (CI keeps the harness working)
 *   --only=a,b         scenarios: fanout, ingest, storm, resume, postgres
 *   --profile          CPU profile of Tether during fan-out at saturation
 *   --profile=ingest   CPU profile of Tether (each thread) during durable ingest
 *
 * Exits non-zero when a server fails to start, a scenario fails or produces
 * no data.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { FULL, QUICK, TETHER_ENV, TETHER_FANOUT_ENV, envText } from './config.js';
import { machineInfo } from './metrics/proc.js';
import { REPO_ROOT, RESULTS_DIR } from './paths.js';
import {
  fileLimitOf,
  hardFileLimit,
  hasTaskset,
  installCleanup,
  spawnManaged,
  stopProcess,
} from './processes.js';
import { writeReport } from './report.js';
import type { Results } from './results.js';
import { runFanout } from './scenarios/fanout.js';
import { runIngest } from './scenarios/ingest.js';
import { runPostgres } from './scenarios/postgres.js';
import { runProfile, type ProfileTarget } from './scenarios/profile.js';
import { runResume } from './scenarios/resume.js';
import { runStorm } from './scenarios/storm.js';
import type { ScenarioContext } from './scenarios/context.js';
import { POSTGRES_SETTINGS } from './servers/postgres.js';
import { REDIS_SETTINGS } from './servers/redis.js';
import { ensureTetherBuilt } from './servers/tether.js';

const SCENARIOS = {
  fanout: runFanout,
  ingest: runIngest,
  storm: runStorm,
  resume: runResume,
  postgres: runPostgres,
} as const;
type ScenarioName = keyof typeof SCENARIOS;

interface Cli {
  quick: boolean;
  profile: ProfileTarget | undefined;
  only: ScenarioName[];
}

function parseArgs(argv: readonly string[]): Cli {
  const cli: Cli = { quick: false, profile: undefined, only: Object.keys(SCENARIOS) as ScenarioName[] };
  for (const arg of argv) {
    if (arg === '--') continue;
    if (arg === '--quick') cli.quick = true;
    else if (arg === '--profile' || arg === '--profile=fanout') cli.profile = 'fanout';
    else if (arg === '--profile=ingest') cli.profile = 'ingest';
    else if (arg.startsWith('--only=')) {
      const names = arg.slice('--only='.length).split(',');
      for (const name of names) {
        if (!(name in SCENARIOS))
          throw new Error(`unknown scenario ${name}; one of ${Object.keys(SCENARIOS).join(', ')}`);
      }
      cli.only = names as ScenarioName[];
    } else
      throw new Error(`unknown argument ${arg}; use --quick, --only=<scenarios>, --profile[=fanout|ingest]`);
  }
  return cli;
}

/** The generator's open-file limit once raised; scenarios need clients + a margin. */
function checkFileLimit(needed: number, notes: string[]): void {
  const probe = spawnManaged({
    name: 'ulimit-probe',
    command: 'sleep',
    args: ['5'],
    logFile: '/dev/null',
  });
  const limit = fileLimitOf(probe.pid) ?? hardFileLimit();
  void stopProcess(probe, 100);
  notes.push(`Open-file limit of each child process: ${limit} (raised to the hard limit with ulimit -n).`);
  if (limit < needed) {
    throw new Error(
      `the open-file limit is ${limit}, but ${needed} are needed; raise the hard limit (ulimit -Hn) or run --quick`,
    );
  }
}

/** Which Tether was measured: the commit, and whether its sources had changes on top. */
function tetherSource(): string {
  const git = (...args: string[]): string =>
    spawnSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' }).stdout.trim();
  const commit = git('rev-parse', '--short', 'HEAD');
  if (!commit) return 'unknown (not a git checkout)';
  const dirty = git('status', '--porcelain', '--', 'apps/server/src', 'packages/protocol/src');
  return dirty
    ? `${commit} with uncommitted changes in apps/server/src or packages/protocol/src`
    : `${commit} (clean)`;
}

async function main(): Promise<void> {
  installCleanup();
  const cli = parseArgs(process.argv.slice(2));
  const config = cli.quick ? QUICK : FULL;
  const started = performance.now();
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'tether-bench-'));
  const pinned = hasTaskset();
  /** Fan-out's settings where they differ from the other scenarios'. */
  const fanoutOnly = Object.fromEntries(
    Object.entries(TETHER_FANOUT_ENV).filter(([k, v]) => TETHER_ENV[k as keyof typeof TETHER_ENV] !== v),
  );
  const results: Results = {
    mode:
      cli.profile === 'ingest' ? 'profile-ingest' : cli.profile ? 'profile' : cli.quick ? 'quick' : 'full',
    machine: machineInfo(),
    loadAverageAfter: [0, 0, 0],
    settings: {
      'tether source': tetherSource(),
      pinning: pinned
        ? 'servers (and PostgreSQL, redis-server) on core 0, load generator on core 1 (taskset)'
        : 'taskset not found: processes are not pinned',
      'tether settings': `${envText(TETHER_ENV)} (fan-out, also on PostgreSQL: ${envText(fanoutOnly)}); every other setting at its default`,
      'tether logging': 'LOG_LEVEL=info (the default), to a file',
      postgresql: POSTGRES_SETTINGS,
      redis: `${REDIS_SETTINGS} (the bus and presence of several processes)`,
      'text size': '128 bytes',
      'work dir': workDir,
    },
    notes: [],
    errors: [],
    fanout: [],
    ingest: [],
    storm: [],
    resume: [],
    postgres: undefined,
    profiles: [],
    durationSeconds: 0,
  };
  const log = (line: string): void => {
    process.stdout.write(`bench: ${line}\n`);
  };
  if (results.machine.loadAverage[0] > results.machine.cores * 0.5) {
    results.notes.push(
      `The machine was busy when the run started (load average ${results.machine.loadAverage.join(', ')} on ${results.machine.cores} cores): numbers are noisy.`,
    );
  }
  const ctx: ScenarioContext = {
    config,
    start: { workDir, serverCpu: pinned ? 0 : undefined },
    generatorCpu: pinned ? 1 : undefined,
    results,
    log,
  };
  let failed = false;
  try {
    const largest = Math.max(...config.fanout.sizes, config.storm.clients, config.postgres.fanoutClients);
    checkFileLimit(largest + 200, results.notes);
    ensureTetherBuilt();
    if (cli.profile) {
      await runProfile(ctx, cli.profile);
    } else {
      for (const name of cli.only) {
        const scenarioStart = performance.now();
        try {
          await SCENARIOS[name](ctx);
        } catch (error) {
          failed = true;
          const message = `${name}: ${error instanceof Error ? error.message : String(error)}`;
          results.errors.push(message);
          process.stderr.write(`bench: FAILED ${message}\n`);
        }
        log(`${name} took ${((performance.now() - scenarioStart) / 1000).toFixed(0)} s`);
      }
    }
  } catch (error) {
    failed = true;
    const message = error instanceof Error ? error.message : String(error);
    results.errors.push(message);
    process.stderr.write(`bench: FAILED ${message}\n`);
  }
  results.loadAverageAfter = machineInfo().loadAverage;
  results.durationSeconds = Math.round((performance.now() - started) / 1000);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const written = writeReport(results, RESULTS_DIR);
  log(`results: ${written.join(', ')} (${results.durationSeconds} s)`);
  if (!failed) rmSync(workDir, { recursive: true, force: true });
  else log(`logs kept in ${workDir}`);
  process.exitCode = failed ? 1 : 0;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
