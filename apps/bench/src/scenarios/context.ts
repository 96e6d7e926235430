/** What every scenario gets: sizes, where to write, which cores, and the results to fill. */
import type { BenchConfig } from '../config.js';
import { LoadGenerator } from '../loadgen/rpc.js';
import { CoreBusy, CpuMeter, RssPeak } from '../metrics/proc.js';
import type { CpuPair, Results } from '../results.js';
import { startCompetitor } from '../servers/competitors.js';
import { startTether } from '../servers/tether.js';
import type { ServerId, ServerInstance, StartContext } from '../servers/types.js';

export interface ScenarioContext {
  config: BenchConfig;
  start: StartContext;
  generatorCpu: number | undefined;
  results: Results;
  log: (line: string) => void;
}

export async function startServer(
  ctx: ScenarioContext,
  id: Exclude<ServerId, 'tether-postgres' | 'tether-postgres-3' | 'socketio-postgres'>,
  tetherEnv: Record<string, string>,
): Promise<ServerInstance> {
  if (id === 'tether') {
    return startTether(ctx.start, {
      id,
      label: 'Tether (SQLite, built dist)',
      env: tetherEnv,
      nodes: 1,
    });
  }
  return startCompetitor(ctx.start, id);
}

/** Runs `body` with a fresh server and load generator, and stops both whatever happens. */
export async function withServer<T>(
  ctx: ScenarioContext,
  start: () => Promise<ServerInstance>,
  label: string,
  body: (server: ServerInstance, generator: LoadGenerator) => Promise<T>,
): Promise<T> {
  const server = await start();
  let generator: LoadGenerator | undefined;
  try {
    generator = LoadGenerator.start(ctx.start.workDir, ctx.generatorCpu, label);
    return await body(server, generator);
  } finally {
    await generator?.stop();
    await server.stop();
  }
}

export function serverPids(server: ServerInstance): number[] {
  return server.processes.map((p) => p.pid);
}

/** Runs `work` while measuring the CPU of the server(s) and the generator, and the servers' peak RSS. */
export async function measured<T>(
  server: ServerInstance,
  generator: LoadGenerator,
  work: () => Promise<T>,
  /** The servers' core, to measure how busy it was (every process on it); undefined: not measured. */
  serverCore?: number,
): Promise<{ result: T; cpu: CpuPair; peakRss: number; perPid: Map<number, number> }> {
  const pids = serverPids(server);
  const core = serverCore === undefined ? undefined : new CoreBusy(serverCore).begin();
  const meter = new CpuMeter([...pids, generator.pid]).begin();
  const peak = new RssPeak(pids).begin();
  const result = await work();
  const peakRss = peak.end();
  const used = meter.used();
  const perPid = meter.end();
  const coreBusy = core?.end();
  let serverCpu = 0;
  let serverSeconds = 0;
  for (const pid of pids) {
    serverCpu += perPid.get(pid) ?? 0;
    serverSeconds += used.get(pid) ?? 0;
  }
  return {
    result,
    cpu: {
      server: serverCpu,
      generator: perPid.get(generator.pid) ?? 0,
      serverSeconds,
      generatorSeconds: used.get(generator.pid) ?? 0,
      ...(coreBusy === undefined ? {} : { serverCore: coreBusy }),
    },
    peakRss,
    perPid,
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
