/**
 * Scenario 1, fan-out: N clients in one room, a few senders. For each server
 * and each N, on a fresh server: RSS per idle joined connection (RSS delta,
 * each side measured after a full GC, the same method for every server), latency and CPU at
 * fixed offered loads, then deliveries per second at saturation with the
 * peak RSS during that burst.
 */
import { TETHER_FANOUT_ENV } from '../config.js';
import type { FanoutArgs } from '../loadgen/commands.js';
import type { LoadGenerator } from '../loadgen/rpc.js';
import { rssAfterGc } from '../metrics/proc.js';
import { tetherMemory } from '../metrics/tether-metrics.js';
import type { FanoutPhase, FanoutRow } from '../results.js';
import type { ServerInstance } from '../servers/types.js';
import { measured, startServer, withServer, type ScenarioContext } from './context.js';
import type { OtherCpu } from './ingest.js';

/** ws-floor is a reference for CPU (the cost of the writes alone), not a competitor. */
export const FANOUT_SERVERS = ['tether', 'ws-naive', 'socketio', 'ws-floor'] as const;

/** Connects `clients` to one room and waits for the join traffic (presence) to end. */
export async function fillRoom(
  ctx: ScenarioContext,
  server: ServerInstance,
  generator: LoadGenerator,
  clients: number,
  room = 'fanout',
): Promise<FanoutRow['connect']> {
  const { fanout, setupConcurrency } = ctx.config;
  const connect = await generator.call(
    'connect',
    {
      dialect: server.dialect,
      ports: [...server.ports],
      count: clients,
      rooms: [room],
      concurrency: setupConcurrency,
      timeoutMs: ctx.config.quick ? 30_000 : 180_000,
      socketIoAcks: false,
      trackCursor: false,
      senders: fanout.senders,
      probeEvery: fanout.probeEvery,
    },
    200_000,
  );
  if (connect.joined < clients) {
    throw new Error(
      `${server.id}: only ${connect.joined} of ${clients} clients joined in ${(connect.elapsedMs / 1000).toFixed(0)} s ` +
        `(closes ${JSON.stringify(connect.closes)}, errors ${JSON.stringify(connect.refusals)}, ${connect.retries} retries)`,
    );
  }
  await generator.call('quiesce', { quietMs: 500, timeoutMs: 120_000 }, 130_000);
  return connect;
}

/** Messages in flight in a closed loop: the same deliveries in flight for every size of room. */
export const windowMessages = (ctx: ScenarioContext, clients: number): number =>
  Math.max(4, Math.round(ctx.config.fanout.windowDeliveries / clients));

export async function fanoutPhase(
  ctx: ScenarioContext,
  server: ServerInstance,
  generator: LoadGenerator,
  clients: number,
  offered: number | undefined,
  otherCpu?: OtherCpu,
): Promise<FanoutPhase> {
  const { fanout } = ctx.config;
  const args: FanoutArgs = {
    senders: fanout.senders,
    messagesPerSec: offered === undefined ? undefined : offered / clients,
    windowMessages: windowMessages(ctx, clients),
    durationMs: fanout.durationMs,
    warmupMs: fanout.warmupMs,
    drainMs: fanout.drainMs,
  };
  const other = otherCpu?.();
  const run = await measured(
    server,
    generator,
    () => generator.call('fanout', args, fanout.durationMs + fanout.warmupMs + 60_000),
    ctx.start.serverCpu,
  );
  const others = other?.end();
  await generator.call('quiesce', { quietMs: 300, timeoutMs: 30_000 }, 40_000);
  const phase: FanoutPhase = {
    offered,
    result: run.result,
    cpu: run.cpu,
    peakRss: run.peakRss,
    ...(others ? { otherCpu: others } : {}),
    ...(server.processes.length > 1
      ? { cpuPerProcess: server.processes.map((p) => run.perPid.get(p.pid) ?? 0) }
      : {}),
  };
  if (run.result.sent === 0 || run.result.deliveriesPerSec <= 0) {
    throw new Error(`${server.id}: fan-out at ${offered ?? 'saturation'} produced no deliveries`);
  }
  return phase;
}

export async function runFanout(ctx: ScenarioContext): Promise<void> {
  for (const clients of ctx.config.fanout.sizes) {
    for (const id of FANOUT_SERVERS) {
      ctx.log(`fan-out: ${id}, ${clients} clients`);
      const row = await withServer(
        ctx,
        () => startServer(ctx, id, TETHER_FANOUT_ENV),
        `fanout-${id}-${clients}`,
        async (server, generator) => {
          const pid = (server.processes[0] as { pid: number }).pid;
          const port = server.ports[0] as number;
          const baseRss = await rssAfterGc(pid);
          const heapBefore = server.dialect === 'tether' ? await tetherMemory(port) : undefined;
          const connect = await fillRoom(ctx, server, generator, clients);
          const joinedRss = await rssAfterGc(pid);
          const heapJoined = server.dialect === 'tether' ? await tetherMemory(port) : undefined;
          const loads: FanoutPhase[] = [];
          for (const offered of ctx.config.fanout.loads) {
            loads.push(await fanoutPhase(ctx, server, generator, clients, offered));
          }
          const saturation = await fanoutPhase(ctx, server, generator, clients, undefined);
          await generator.call('close', { graceful: false }, 10_000);
          const result: FanoutRow = {
            server: id,
            label: server.label,
            clients,
            connect,
            baseRss,
            joinedRss,
            rssPerConnection: (joinedRss - baseRss) / clients,
            heap: heapBefore && heapJoined ? { before: heapBefore, joined: heapJoined } : undefined,
            loads,
            saturation,
          };
          return result;
        },
      );
      ctx.results.fanout.push(row);
      const sat = row.saturation;
      ctx.log(
        `  ${Math.round(sat.result.deliveriesPerSec).toLocaleString('en')} deliveries/s at saturation ` +
          `(server ${sat.cpu.server.toFixed(0)} % CPU, generator ${sat.cpu.generator.toFixed(0)} %), ` +
          `${(row.rssPerConnection / 1024).toFixed(1)} KiB/connection`,
      );
    }
  }
}
