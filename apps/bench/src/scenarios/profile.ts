/**
 * `--profile`: Tether's server under fan-out at saturation with `node
 * --cpu-prof`; the profile is written when the server exits (SIGTERM) and
 * summarised by self time per function.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { TETHER_FANOUT_RATE_LIMIT } from '../config.js';
import { RESULTS_DIR } from '../paths.js';
import type { ProfileEntry, ProfileSummary } from '../results.js';
import { startTether } from '../servers/tether.js';
import { withServer, type ScenarioContext } from './context.js';
import { fanoutPhase, fillRoom } from './fanout.js';

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

export async function runProfile(ctx: ScenarioContext): Promise<void> {
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
    () =>
      startTether(ctx.start, {
        id: 'tether',
        label: 'Tether (SQLite, built dist, --cpu-prof)',
        env: TETHER_FANOUT_RATE_LIMIT,
        nodes: 1,
        cpuProfileDir: dir,
      }),
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
          phase: load === undefined ? 'saturation' : `${load.toLocaleString('en')} deliveries/s`,
          from,
          to: monotonicMicros(),
          deliveriesPerSec: phase.result.deliveriesPerSec,
        });
      }
      await generator.call('close', { graceful: false }, 10_000);
    },
  );
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('the server wrote no CPU profile');
  const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
  mkdirSync(RESULTS_DIR, { recursive: true });
  ctx.results.profiles = windows.map((w) => {
    const summary = summariseProfile(profile, w);
    const result: ProfileSummary = {
      phase: w.phase,
      clients,
      deliveriesPerSec: w.deliveriesPerSec,
      totalMs: summary.totalMs,
      top: summary.top,
      file: path.join(dir, file),
    };
    return result;
  });
}
