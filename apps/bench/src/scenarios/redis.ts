/**
 * Tether on Redis: one node against two nodes sharing one redis-server (clients
 * split over the nodes), deliveries per second at saturation; and Redis round
 * trips per send, counted with MONITOR during paced sends, net of the idle
 * rate (membership refreshes and re-reads run on timers).
 */
import { TETHER_FANOUT_ENV } from '../config.js';
import { CpuMeter } from '../metrics/proc.js';
import { RedisMonitor, total } from '../metrics/redis-monitor.js';
import type { RedisRow, RoundTrips } from '../results.js';
import { redisAvailable, startRedis, type RedisInstance } from '../servers/redis.js';
import { startTether } from '../servers/tether.js';
import type { ServerInstance } from '../servers/types.js';
import { sleep, withServer, type ScenarioContext } from './context.js';
import { fanoutPhase, fillRoom } from './fanout.js';
import type { LoadGenerator } from '../loadgen/rpc.js';

/**
 * Two windows of the same length, a multiple of the membership refresh period
 * (the server refreshes every PRESENCE_GRACE_MS / 4 = 3.75 s by default), so
 * each holds the same background work: idle first, then paced sends.
 */
async function roundTrips(
  ctx: ScenarioContext,
  redis: RedisInstance,
  generator: LoadGenerator,
): Promise<RoundTrips> {
  const { sendRate, windowMs } = ctx.config.redis;
  const seconds = windowMs / 1000;
  const monitor = await RedisMonitor.start(redis.port);
  try {
    monitor.take();
    await sleep(windowMs);
    const idle = monitor.take();
    const result = await generator.call(
      'fanout',
      {
        senders: ctx.config.fanout.senders,
        messagesPerSec: sendRate,
        windowMessages: 1,
        durationMs: windowMs,
        warmupMs: 0,
        drainMs: 0,
      },
      windowMs + 20_000,
    );
    const busy = monitor.take();
    const sent = result.sent;
    if (sent === 0) throw new Error('no send went out while counting redis commands');
    const byCommand: Record<string, number> = {};
    let net = 0;
    for (const [name, n] of busy.clients) {
      const extra = Math.max(0, n - (idle.clients.get(name) ?? 0));
      net += extra;
      byCommand[name] = Math.round((extra / sent) * 100) / 100;
    }
    return {
      sends: sent,
      seconds,
      perSend: net / sent,
      byCommand,
      idlePerSecond: total(idle) / seconds,
      idleByCommand: Object.fromEntries(
        [...idle.clients].map(([k, v]) => [k, Math.round((v / seconds) * 10) / 10]),
      ),
      scriptedPerSend: busy.scripted / sent,
    };
  } finally {
    monitor.stop();
  }
}

export async function runRedis(ctx: ScenarioContext): Promise<void> {
  if (!redisAvailable()) {
    throw new Error(
      'redis-server is not installed (apt-get install redis-server), or leave redis out with --only',
    );
  }
  const clients = ctx.config.redis.clients;
  if (!ctx.config.quick && clients < Math.max(...ctx.config.fanout.sizes)) {
    ctx.results.notes.push(
      `Tether on Redis was measured with ${clients.toLocaleString('en')} clients, not ${Math.max(...ctx.config.fanout.sizes).toLocaleString('en')}: ` +
        "on Redis each join makes every node read the room's whole member set (the presence lookup has no per-user index), so filling a room is O(N²), and " +
        'so 5,000 clients would take minutes to join before the first measurement.',
    );
  }
  for (const nodes of [1, 2]) {
    ctx.log(`redis: Tether with ${nodes} node(s), ${clients} clients`);
    const redis = await startRedis(ctx.start);
    try {
      const id = nodes === 1 ? 'tether-redis-1' : 'tether-redis-2';
      const start = (): Promise<ServerInstance> =>
        startTether(ctx.start, {
          id,
          label: `Tether on Redis, ${nodes} node${nodes > 1 ? 's' : ''}`,
          env: { ...TETHER_FANOUT_ENV, REDIS_URL: redis.url, REDIS_PREFIX: `bench${nodes}:` },
          nodes,
        });
      const row = await withServer(ctx, start, `redis-${nodes}`, async (server, generator) => {
        await fillRoom(ctx, server, generator, clients, 'redisroom');
        const trips = nodes === 1 ? await roundTrips(ctx, redis, generator) : undefined;
        await generator.call('quiesce', { quietMs: 300, timeoutMs: 30_000 }, 40_000);
        const pids = server.processes.map((p) => p.pid);
        const meter = new CpuMeter([...pids, redis.process.pid]).begin();
        const saturation = await fanoutPhase(ctx, server, generator, clients, undefined);
        const cpu = meter.end();
        await generator.call('close', { graceful: false }, 10_000);
        const result: RedisRow = {
          nodes,
          clients,
          saturation,
          nodeCpu: pids.map((pid) => cpu.get(pid) ?? 0),
          redisCpu: cpu.get(redis.process.pid) ?? 0,
          roundTrips: trips,
        };
        return result;
      });
      ctx.results.redis.push(row);
      ctx.log(
        `  ${Math.round(row.saturation.result.deliveriesPerSec).toLocaleString('en')} deliveries/s` +
          (row.roundTrips ? `, ${row.roundTrips.perSend.toFixed(2)} redis round trips per send` : ''),
      );
    } finally {
      await redis.stop();
    }
  }
}
