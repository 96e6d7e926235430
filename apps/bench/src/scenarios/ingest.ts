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

export async function runIngest(ctx: ScenarioContext): Promise<void> {
  const cfg = ctx.config.ingest;
  for (const id of INGEST_SERVERS) {
    ctx.log(`durable ingest: ${id}, ${cfg.senders} senders in ${cfg.rooms} rooms`);
    const row = await withServer(
      ctx,
      () => startServer(ctx, id, TETHER_ENV),
      `ingest-${id}`,
      async (server, generator) => {
        await connectIngestSenders(ctx, server, generator);
        const phases: IngestPhase[] = [];
        const run = async (name: string, args: IngestArgs): Promise<void> => {
          const m = await measured(server, generator, () =>
            generator.call('ingest', args, args.warmupMs + args.durationMs + args.drainMs + 30_000),
          );
          if (m.result.acked === 0) throw new Error(`${id}: ${name} got no ack`);
          phases.push({
            name,
            offeredPerSec: args.burst > 0 ? undefined : args.messagesPerSec,
            burstPerSender: args.burst > 0 ? args.burst : undefined,
            result: m.result,
            cpu: m.cpu,
          });
          ctx.log(
            `  ${name}: ${Math.round(m.result.ackedPerSec).toLocaleString('en')} acked/s, ack p50 ${m.result.ackMs.p50.toFixed(1)} ms, p99 ${m.result.ackMs.p99.toFixed(1)} ms`,
          );
          await generator.call('quiesce', { quietMs: 300, timeoutMs: 30_000 }, 40_000);
        };
        for (const rate of cfg.rates) {
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
        await generator.call('close', { graceful: false }, 10_000);
        const result: IngestRow = {
          server: id,
          label: server.label,
          senders: cfg.senders,
          rooms: cfg.rooms,
          phases,
        };
        return result;
      },
    );
    ctx.results.ingest.push(row);
  }
}
