/**
 * Scenario 2, durable ingest: senders spread over rooms, every message acked
 * only once stored. Fixed offered rates, then a burst from every sender.
 * Tether (SQLite, group commit) against Socket.IO + SQLite (one INSERT, so
 * one fsync, per message), both WAL with synchronous = FULL.
 */
import { TETHER_ENV } from '../config.js';
import type { IngestArgs } from '../loadgen/commands.js';
import type { LoadGenerator } from '../loadgen/rpc.js';
import type { IngestPhase, IngestRow } from '../results.js';
import type { ServerInstance } from '../servers/types.js';
import { measured, startServer, withServer, type ScenarioContext } from './context.js';

/** Started when a phase starts; its end gives % of one core by name (PostgreSQL, Redis). */
export type OtherCpu = () => { end(): Record<string, number> };

export const INGEST_SERVERS = ['tether', 'socketio-sqlite'] as const;

/** Connects the ingest senders (each joins one of the config's rooms) and waits until all is quiet. */
export async function connectIngestSenders(
  ctx: ScenarioContext,
  server: ServerInstance,
  generator: LoadGenerator,
): Promise<void> {
  const cfg = ctx.config.ingest;
  const connect = await generator.call(
    'connect',
    {
      dialect: server.dialect,
      ports: [...server.ports],
      count: cfg.senders,
      rooms: Array.from({ length: cfg.rooms }, (_, i) => `ingest${i}`),
      concurrency: ctx.config.setupConcurrency,
      timeoutMs: 60_000,
      socketIoAcks: server.socketIoAcks,
      trackCursor: false,
      senders: cfg.senders,
      probeEvery: 1,
    },
    70_000,
  );
  if (connect.joined < cfg.senders) throw new Error(`${server.id}: only ${connect.joined} senders joined`);
  await generator.call('quiesce', { quietMs: 300, timeoutMs: 30_000 }, 40_000);
}

/** A phase at a fixed offered rate (messages per second over all senders). */
export function ratePhaseArgs(ctx: ScenarioContext, rate: number): IngestArgs {
  const cfg = ctx.config.ingest;
  return {
    messagesPerSec: rate,
    durationMs: cfg.durationMs,
    warmupMs: cfg.warmupMs,
    maxInFlightPerSender: cfg.maxInFlightPerSender,
    drainMs: cfg.drainMs,
    burst: 0,
  };
}

/**
 * The phases of durable ingest on a started server with its senders
 * connected: each offered rate, then the burst. `otherCpu` measures what
 * else the phase costs beside the server and the generator (PostgreSQL,
 * Redis), by name.
 */
export async function ingestPhases(
  ctx: ScenarioContext,
  server: ServerInstance,
  generator: LoadGenerator,
  rates: readonly number[],
  otherCpu?: OtherCpu,
): Promise<IngestPhase[]> {
  const cfg = ctx.config.ingest;
  const phases: IngestPhase[] = [];
  const run = async (name: string, args: IngestArgs): Promise<void> => {
    const other = otherCpu?.();
    const m = await measured(
      server,
      generator,
      () => generator.call('ingest', args, args.warmupMs + args.durationMs + args.drainMs + 30_000),
      ctx.start.serverCpu,
    );
    const others = other?.end();
    if (m.result.acked === 0) throw new Error(`${server.id}: ${name} got no ack`);
    phases.push({
      name,
      offeredPerSec: args.burst > 0 ? undefined : args.messagesPerSec,
      burstPerSender: args.burst > 0 ? args.burst : undefined,
      result: m.result,
      cpu: m.cpu,
      ...(others ? { otherCpu: others } : {}),
      ...(server.processes.length > 1
        ? { cpuPerProcess: server.processes.map((p) => m.perPid.get(p.pid) ?? 0) }
        : {}),
    });
    ctx.log(
      `  ${name}: ${Math.round(m.result.ackedPerSec).toLocaleString('en')} acked/s, ack p50 ${m.result.ackMs.p50.toFixed(1)} ms, p99 ${m.result.ackMs.p99.toFixed(1)} ms` +
        `, server CPU ${m.cpu.server.toFixed(0)} %` +
        Object.entries(others ?? {})
          .map(([k, v]) => `, ${k} ${v.toFixed(0)} %`)
          .join(''),
    );
    await generator.call('quiesce', { quietMs: 300, timeoutMs: 30_000 }, 40_000);
  };
  for (const rate of rates) {
    await run(`${rate.toLocaleString('en')} msg/s`, ratePhaseArgs(ctx, rate));
  }
  await run(`burst of ${cfg.burstPerSender} per sender`, {
    messagesPerSec: 0,
    durationMs: 0,
    warmupMs: 0,
    maxInFlightPerSender: cfg.burstPerSender,
    drainMs: cfg.burstDrainMs,
    burst: cfg.burstPerSender,
  });
  return phases;
}

/** One server's durable ingest, as the ingest scenario runs it (the postgres scenario runs it too). */
export async function ingestRow(
  ctx: ScenarioContext,
  server: ServerInstance,
  generator: LoadGenerator,
  rates: readonly number[],
  otherCpu?: OtherCpu,
): Promise<IngestRow> {
  const cfg = ctx.config.ingest;
  await connectIngestSenders(ctx, server, generator);
  const phases = await ingestPhases(ctx, server, generator, rates, otherCpu);
  await generator.call('close', { graceful: false }, 10_000);
  return { server: server.id, label: server.label, senders: cfg.senders, rooms: cfg.rooms, phases };
}

export async function runIngest(ctx: ScenarioContext): Promise<void> {
  const cfg = ctx.config.ingest;
  for (const id of INGEST_SERVERS) {
    ctx.log(`durable ingest: ${id}, ${cfg.senders} senders in ${cfg.rooms} rooms`);
    const row = await withServer(
      ctx,
      () => startServer(ctx, id, TETHER_ENV),
      `ingest-${id}`,
      (server, generator) => ingestRow(ctx, server, generator, cfg.rates),
    );
    ctx.results.ingest.push(row);
  }
}
