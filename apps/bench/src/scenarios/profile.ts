/**
 * `--profile`: Tether's server under fan-out at saturation with `node
 * --cpu-prof`; the profile is written when the server exits (SIGTERM) and
 * summarised by self time per function.
 *
 * `--profile=ingest`: the same during durable ingest at the full run's highest
 * offered rate, one summary per thread (the event loop, then the SQLite
 * writer and checkpointer threads, which write profiles of their own).
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { TETHER_FANOUT_ENV, TETHER_ENV } from '../config.js';
import { RESULTS_DIR } from '../paths.js';
import type { ProfileEntry, ProfileSummary } from '../results.js';
import { startTether } from '../servers/tether.js';
import type { ServerInstance } from '../servers/types.js';
import { withServer, type ScenarioContext } from './context.js';
import { fanoutPhase, fillRoom } from './fanout.js';
import { connectIngestSenders, ratePhaseArgs } from './ingest.js';

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  startTime: number;
  nodes: CpuProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The monotonic clock V8 stamps profiles with (µs), which `process.hrtime` reads too on Linux. */
function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** Self time per function over the samples taken within `window` (µs, monotonic). */
export function summariseProfile(
  profile: CpuProfile,
  window: { from: number; to: number },
  top = 25,
): { totalMs: number; top: ProfileEntry[] } {
  const byNode = new Map<number, CpuProfileNode>(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<string, { entry: Omit<ProfileEntry, 'selfMs' | 'selfPercent'>; us: number }>();
  let totalUs = 0;
  let at = profile.startTime;
  profile.samples.forEach((nodeId, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    at += dt;
    if (at < window.from || at > window.to) return;
    totalUs += dt;
    const node = byNode.get(nodeId);
    if (!node) return;
    const { functionName, url, lineNumber } = node.callFrame;
    const location = url
      ? `${url.replace(/^file:\/\/.*?\/(apps|packages|node_modules)\//, '$1/')}:${lineNumber + 1}`
      : '';
    const key = `${functionName}@${location}`;
    const slot = selfUs.get(key) ?? {
      entry: { functionName: functionName || '(anonymous)', location },
      us: 0,
    };
    slot.us += dt;
    selfUs.set(key, slot);
  });
  const entries = [...selfUs.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map(({ entry, us }) => ({
      ...entry,
      selfMs: Math.round(us / 100) / 10,
      selfPercent: totalUs > 0 ? Math.round((1000 * us) / totalUs) / 10 : 0,
    }));
  return { totalMs: totalUs / 1000, top: entries };
}

/**
 * The profiles `--cpu-prof` wrote, one per thread, the event loop's first:
 * `CPU.<date>.<time>.<pid>.<thread id>.<n>.cpuprofile`, thread 0 is the main thread.
 */
export function profileFiles(names: readonly string[]): { file: string; thread: number }[] {
  return names
    .map((file) => ({ file, thread: Number(/\.(\d+)\.\d+\.cpuprofile$/.exec(file)?.[1] ?? NaN) }))
    .filter((p) => Number.isInteger(p.thread))
    .sort((a, b) => a.thread - b.thread);
}

function readProfiles(dir: string): { file: string; thread: number; profile: CpuProfile }[] {
  const files = profileFiles(readdirSync(dir));
  if (files.length === 0) throw new Error('the server wrote no CPU profile');
  return files.map((f) => ({
    ...f,
    file: path.join(dir, f.file),
    profile: JSON.parse(readFileSync(path.join(dir, f.file), 'utf8')) as CpuProfile,
  }));
}

export type ProfileTarget = 'fanout' | 'ingest';

/** Tether as the scenarios start it, under `node --cpu-prof` writing into `dir`. */
function startProfiledTether(
  ctx: ScenarioContext,
  env: Record<string, string>,
  dir: string,
): Promise<ServerInstance> {
  return startTether(ctx.start, {
    id: 'tether',
    label: 'Tether (SQLite, built dist, --cpu-prof)',
    env,
    nodes: 1,
    cpuProfileDir: dir,
  });
}

export async function runProfile(ctx: ScenarioContext, target: ProfileTarget = 'fanout'): Promise<void> {
  if (target === 'ingest') return runIngestProfile(ctx);

  const clients = Math.max(...ctx.config.fanout.sizes);
  const offered = Math.min(...ctx.config.fanout.loads);
  const dir = path.join(ctx.start.workDir, 'cpu-profile');
  mkdirSync(dir, { recursive: true });
  ctx.log(
    `profile: Tether under fan-out (${offered}/s, then saturation), ${clients} clients, node --cpu-prof`,
  );
  const windows: { phase: string; from: number; to: number; deliveriesPerSec: number }[] = [];
  await withServer(
    ctx,
    () => startProfiledTether(ctx, TETHER_FANOUT_ENV, dir),
    'profile',
    async (server, generator) => {
      await fillRoom(ctx, server, generator, clients);
      // Only the measured phases count: connecting and joining are left out.
      const long = {
        ...ctx,
        config: {
          ...ctx.config,
          fanout: { ...ctx.config.fanout, durationMs: ctx.config.quick ? 2000 : 10_000 },
        },
      };
      for (const load of [offered, undefined]) {
        const from = monotonicMicros();
        const phase = await fanoutPhase(long, server, generator, clients, load);
        windows.push({
          phase:
            load === undefined
              ? 'fan-out at saturation'
              : `fan-out at ${load.toLocaleString('en')} deliveries/s`,
          from,
          to: monotonicMicros(),
          deliveriesPerSec: phase.result.deliveriesPerSec,
        });
      }
      await generator.call('close', { graceful: false }, 10_000);
    },
  );
  // The event loop's profile: the store's threads do no fan-out work.
  const [main] = readProfiles(dir);
  if (!main) throw new Error('the server wrote no CPU profile');
  mkdirSync(RESULTS_DIR, { recursive: true });
  ctx.results.profiles = windows.map((w) => {
    const summary = summariseProfile(main.profile, w);
    const result: ProfileSummary = {
      phase: w.phase,
      clients,
      deliveriesPerSec: w.deliveriesPerSec,
      totalMs: summary.totalMs,
      top: summary.top,
      file: main.file,
    };
    return result;
  });
}

/** Durable ingest at the config's highest rate: 10 rooms, every sender also a receiver. */
async function runIngestProfile(ctx: ScenarioContext): Promise<void> {
  const cfg = ctx.config.ingest;
  const rate = Math.max(...cfg.rates);
  const dir = path.join(ctx.start.workDir, 'cpu-profile-ingest');
  mkdirSync(dir, { recursive: true });
  ctx.log(
    `profile: Tether under durable ingest (${rate.toLocaleString('en')} msg/s), ${cfg.senders} senders, node --cpu-prof`,
  );
  let window = { from: 0, to: 0 };
  let ackedPerSec = 0;
  await withServer(
    ctx,
    () => startProfiledTether(ctx, TETHER_ENV, dir),
    'profile-ingest',
    async (server, generator) => {
      await connectIngestSenders(ctx, server, generator);
      const args = ratePhaseArgs(ctx, rate);
      const from = monotonicMicros();
      const result = await generator.call(
        'ingest',
        args,
        args.warmupMs + args.durationMs + args.drainMs + 30_000,
      );
      window = { from, to: monotonicMicros() };
      ackedPerSec = result.ackedPerSec;
      ctx.log(
        `  ${Math.round(result.ackedPerSec).toLocaleString('en')} acked/s, ack p50 ${result.ackMs.p50.toFixed(1)} ms, p99 ${result.ackMs.p99.toFixed(1)} ms (under the profiler)`,
      );
      await generator.call('close', { graceful: false }, 10_000);
    },
  );
  mkdirSync(RESULTS_DIR, { recursive: true });
  ctx.results.profiles = readProfiles(dir).map(({ file, thread, profile }) => {
    const summary = summariseProfile(profile, window);
    const result: ProfileSummary = {
      phase: `durable ingest, ${rate.toLocaleString('en')} msg/s, ${thread === 0 ? 'event loop' : `thread ${thread}`}`,
      clients: cfg.senders,
      // Deliveries: each acked message goes to every member of its room.
      deliveriesPerSec: (ackedPerSec * cfg.senders) / cfg.rooms,
      totalMs: summary.totalMs,
      top: summary.top,
      file,
    };
    return result;
  });
}
