/**
 * Scenario 3, connect storm: every client connects, says hello (Tether) and
 * joins one room at the same moment; the time until the last one has joined.
 * Failed attempts are retried with the client's own policy (client/reconnect.ts)
 * and counted. Checked: every client joined, none failed, and for Tether the
 * `joined` of the last client to join counts every client in `memberCount`.
 */
import { TETHER_ENV } from '../config.js';
import { stormProblem, type StormRow } from '../results.js';
import { measured, sleep, startServer, withServer, type ScenarioContext } from './context.js';

export const STORM_SERVERS = ['tether', 'ws-naive', 'socketio'] as const;

export async function runStorm(ctx: ScenarioContext): Promise<void> {
  const clients = ctx.config.storm.clients;
  for (const id of STORM_SERVERS) {
    ctx.log(`connect storm: ${id}, ${clients} clients at once`);
    const row = await withServer(
      ctx,
      () => startServer(ctx, id, TETHER_ENV),
      `storm-${id}`,
      async (server, generator) => {
        // Let the generator load before the clock starts.
        await generator.call('quiesce', { quietMs: 10, timeoutMs: 1000 }, 30_000);
        await sleep(200);
        const m = await measured(server, generator, () =>
          generator.call(
            'connect',
            {
              dialect: server.dialect,
              ports: [...server.ports],
              count: clients,
              rooms: ['storm'],
              concurrency: clients,
              timeoutMs: 120_000,
              socketIoAcks: false,
              trackCursor: false,
              senders: 0,
              probeEvery: clients + 1,
            },
            130_000,
          ),
        );
        if (m.result.joined === 0) throw new Error(`${id}: no client joined`);
        await generator.call('close', { graceful: false }, 10_000);
        const result: StormRow = {
          server: id,
          label: server.label,
          result: m.result,
          cpu: m.cpu,
          peakRss: m.peakRss,
        };
        return result;
      },
    );
    ctx.results.storm.push(row);
    const member =
      row.result.lastMemberCount === undefined ? '' : `; last memberCount ${row.result.lastMemberCount}`;
    ctx.log(
      `  ${row.result.joined}/${clients} joined in ${(row.result.elapsedMs / 1000).toFixed(2)} s (${row.result.retries} retries; closes ${JSON.stringify(row.result.closes)}; errors ${JSON.stringify(row.result.refusals)}${member}); ${stormProblem(row) ?? 'correct'}`,
    );
  }
}
