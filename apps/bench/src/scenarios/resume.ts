/**
 * Scenario 4, resume after restart: clients in rooms, one sender per room
 * sending throughout; the server is stopped and started again on the same
 * port and data, two ways, each on a fresh server and fresh clients: a
 * graceful restart (SIGTERM: Tether closes every connection with 1001 and a
 * restart hint) and a crash (SIGKILL: connections just drop). Clients
 * reconnect as real clients of their server would (client/reconnect.ts) and
 * rejoin (with their cursor where the server has history). Measured: time
 * from the signal until every client has joined again, and what went missing
 * or came twice.
 */
import { TETHER_ENV } from '../config.js';
import type { ResumeRow } from '../results.js';
import type { RestartKind } from '../servers/types.js';
import { sleep, startServer, withServer, type ScenarioContext } from './context.js';

export const RESUME_SERVERS = ['tether', 'socketio-sqlite', 'ws-naive', 'socketio'] as const;
export const RESTART_KINDS: readonly RestartKind[] = ['SIGTERM', 'SIGKILL'];

export async function runResume(ctx: ScenarioContext): Promise<void> {
  const cfg = ctx.config.resume;
  const rooms = Array.from({ length: cfg.rooms }, (_, i) => `resume${i}`);
  for (const id of RESUME_SERVERS) {
    for (const kind of RESTART_KINDS) {
      ctx.log(`resume after ${kind}: ${id}, ${cfg.clients} clients in ${cfg.rooms} rooms`);
      const row = await withServer(
        ctx,
        () => startServer(ctx, id, TETHER_ENV),
        `resume-${id}-${kind}`,
        async (server, generator) => {
          if (!server.restart) throw new Error(`${id} cannot be restarted`);
          const connect = await generator.call(
            'connect',
            {
              dialect: server.dialect,
              ports: [...server.ports],
              count: cfg.clients,
              rooms,
              concurrency: ctx.config.setupConcurrency,
              timeoutMs: 120_000,
              socketIoAcks: server.socketIoAcks,
              trackCursor: server.hasHistory,
              senders: cfg.clients,
              probeEvery: 1,
            },
            130_000,
          );
          if (connect.joined < cfg.clients) throw new Error(`${id}: only ${connect.joined} clients joined`);
          await generator.call('quiesce', { quietMs: 300, timeoutMs: 60_000 }, 70_000);
          await generator.call('trafficStart', { perRoomPerSec: cfg.perRoomPerSec }, 10_000);
          await sleep(cfg.trafficBeforeMs);
          await generator.call('markRestart', {}, 10_000);
          const stopAt = performance.now();
          await server.restart(kind);
          const downMs = performance.now() - stopAt;
          const resumed = await generator.call(
            'awaitResumed',
            { timeoutMs: cfg.timeoutMs },
            cfg.timeoutMs + 10_000,
          );
          await sleep(1000);
          await generator.call('trafficStop', {}, 10_000);
          const verify = await generator.call('verify', { timeoutMs: 10_000 }, 20_000);
          await generator.call('close', { graceful: false }, 10_000);
          if (resumed.resumed === 0) throw new Error(`${id}: no client resumed after ${kind}`);
          const result: ResumeRow = {
            server: id,
            label: server.label,
            restart: kind,
            clients: cfg.clients,
            rooms: cfg.rooms,
            downMs,
            resumed,
            verify,
          };
          return result;
        },
      );
      ctx.results.resume.push(row);
      const r = row.resumed.retries;
      ctx.log(
        `  ${row.resumed.resumed}/${row.clients} back in ${(row.resumed.allResumedMs / 1000).toFixed(2)} s ` +
          `(server down ${(row.downMs / 1000).toFixed(2)} s); ${row.verify.missing} messages missing, ` +
          `${row.verify.duplicates} duplicates; closes ${JSON.stringify(row.resumed.closes)}; ` +
          `waits: ${r.paced} paced by a hint, ${r.backoff} on the backoff; /readyz ${r.probes} probes, ${r.hits} answered 200`,
      );
    }
  }
}
