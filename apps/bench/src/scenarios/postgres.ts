/**
 * Tether on PostgreSQL (issue 13), beside the SQLite figures:
 *
 * - Durable ingest, one process: Tether with DATABASE_URL (group commit, one
 *   statement per batch, the default pool) against Socket.IO + PostgreSQL
 *   (one autocommitted INSERT per message), each on a fresh cluster; Tether
 *   on SQLite is the ingest scenario's row of the same run, or is measured
 *   here the same way when that scenario did not run.
 * - Scale-out: three Tether processes on one PostgreSQL and one Redis
 *   (bus and presence), durable ingest with the senders split round-robin over
 *   the processes, then fan-out in one room whose members are spread over them.
 *
 * Every server process, PostgreSQL and Redis share core 0 (the generator has
 * core 1): the three processes show what the shared path costs, not how far
 * three cores would scale. CPU is measured per process so the report can say
 * which one was the limit.
 */
import { TETHER_ENV, TETHER_FANOUT_ENV } from '../config.js';
import { CpuMeter } from '../metrics/proc.js';
import type { IngestRow, PostgresResults, ScaleOutFanout } from '../results.js';
import { ingestOf } from '../results.js';
import { startCompetitor } from '../servers/competitors.js';
import {
  ClusterCpu,
  postgresBinDir,
  postgresVersion,
  startPostgres,
  type PostgresInstance,
} from '../servers/postgres.js';
import { redisAvailable, startRedis, type RedisInstance } from '../servers/redis.js';
import { startTether } from '../servers/tether.js';
import type { ServerInstance } from '../servers/types.js';
import { startServer, withServer, type ScenarioContext } from './context.js';
import { fanoutPhase, fillRoom, windowMessages } from './fanout.js';
import { ingestRow, type OtherCpu } from './ingest.js';

/** CPU of the cluster (and Redis, when given) over a phase, by name. */
function otherCpu(pg: PostgresInstance, redis?: RedisInstance): OtherCpu {
  return () => {
    const cluster = new ClusterCpu(pg).begin();
    const redisMeter = redis && new CpuMeter([redis.process.pid]).begin();
    return {
      end: () => ({
        PostgreSQL: cluster.end().percent,
        ...(redis && redisMeter ? { Redis: redisMeter.end().get(redis.process.pid) ?? 0 } : {}),
      }),
    };
  };
}

/** Runs `body` with a fresh PostgreSQL cluster, stopped (and removed) whatever happens. */
async function withCluster<T>(ctx: ScenarioContext, body: (pg: PostgresInstance) => Promise<T>): Promise<T> {
  const pg = await startPostgres(ctx.start);
  try {
    return await body(pg);
  } finally {
    await pg.stop();
  }
}

/** Durable ingest, one process, on a fresh cluster: Tether on PostgreSQL or the Socket.IO peer. */
async function singleProcess(
  ctx: ScenarioContext,
  id: 'tether-postgres' | 'socketio-postgres',
): Promise<IngestRow> {
  const { rates } = ctx.config.postgres;
  ctx.log(`postgres: durable ingest, ${id}, one process`);
  return withCluster(ctx, (pg) => {
    const start = (): Promise<ServerInstance> =>
      id === 'tether-postgres'
        ? startTether(ctx.start, {
            id,
            label: 'Tether on PostgreSQL (1 process, pool 10)',
            env: { ...TETHER_ENV, DATABASE_URL: pg.url },
            nodes: 1,
          })
        : startCompetitor(ctx.start, id, { DATABASE_URL: pg.url });
    return withServer(ctx, start, `postgres-${id}`, (server, generator) =>
      ingestRow(ctx, server, generator, rates, otherCpu(pg)),
    );
  });
}

/** Several Tether processes on one PostgreSQL and one Redis: durable ingest, then fan-out. */
async function scaleOut(ctx: ScenarioContext, out: PostgresResults): Promise<void> {
  const { processes, rates, fanoutClients } = ctx.config.postgres;
  const redis = await startRedis(ctx.start);
  const label = `Tether on PostgreSQL + Redis, ${processes} processes`;
  // A fresh cluster (and Redis prefix) for each part, as every other
  // measurement gets a fresh database: the fan-out's clients would otherwise
  // meet the ingest senders' names, already taken.
  const start =
    (pg: PostgresInstance, env: Record<string, string>, prefix: string) => (): Promise<ServerInstance> =>
      startTether(ctx.start, {
        id: 'tether-postgres-3',
        label,
        env: { ...env, DATABASE_URL: pg.url, REDIS_URL: redis.url, REDIS_PREFIX: prefix },
        nodes: processes,
      });
  try {
    ctx.log(`postgres: durable ingest, ${processes} processes`);
    out.scaleOut.ingest = await withCluster(ctx, (pg) =>
      withServer(ctx, start(pg, TETHER_ENV, 'ingest:'), 'postgres-3-ingest', (server, generator) =>
        ingestRow(ctx, server, generator, rates, otherCpu(pg, redis)),
      ),
    );
    ctx.log(`postgres: fan-out, ${processes} processes, ${fanoutClients} clients`);
    out.scaleOut.fanout = await withCluster(ctx, (pg) =>
      withServer(
        ctx,
        start(pg, TETHER_FANOUT_ENV, 'fanout:'),
        'postgres-3-fanout',
        async (server, generator): Promise<ScaleOutFanout> => {
          const connect = await fillRoom(ctx, server, generator, fanoutClients, 'pgroom');
          const saturation = await fanoutPhase(
            ctx,
            server,
            generator,
            fanoutClients,
            undefined,
            otherCpu(pg, redis),
          );
          await generator.call('close', { graceful: false }, 10_000);
          ctx.log(
            `  ${Math.round(saturation.result.deliveriesPerSec).toLocaleString('en')} deliveries/s at saturation`,
          );
          return {
            clients: fanoutClients,
            connect,
            saturation,
            windowMessages: windowMessages(ctx, fanoutClients),
          };
        },
      ),
    );
  } finally {
    await redis.stop();
  }
}

export async function runPostgres(ctx: ScenarioContext): Promise<void> {
  const bin = postgresBinDir();
  if (bin === undefined) {
    const why =
      'PostgreSQL is not installed (no initdb/postgres under /usr/lib/postgresql/*/bin, PG_BIN or pg_config): ' +
      'the postgres scenario was skipped (apt-get install postgresql, or set PG_BIN)';
    ctx.results.notes.push(why);
    ctx.log(why);
    return;
  }
  const out: PostgresResults = {
    version: postgresVersion(bin),
    ingest: [],
    sqlite: undefined,
    scaleOut: { processes: ctx.config.postgres.processes, ingest: undefined, fanout: undefined },
  };
  ctx.results.postgres = out;
  out.ingest.push(await singleProcess(ctx, 'tether-postgres'));
  out.ingest.push(await singleProcess(ctx, 'socketio-postgres'));
  if (!ingestOf(ctx.results, 'tether')) {
    // No ingest scenario in this run: Tether on SQLite the same way, for the ratio.
    ctx.log('postgres: durable ingest, Tether on SQLite (the ingest scenario did not run)');
    out.sqlite = await withServer(
      ctx,
      () => startServer(ctx, 'tether', TETHER_ENV),
      'postgres-sqlite',
      (server, generator) => ingestRow(ctx, server, generator, ctx.config.postgres.rates),
    );
  }
  if (!redisAvailable()) {
    const why = `redis-server is not installed: the ${ctx.config.postgres.processes} processes on one PostgreSQL and one Redis were skipped (apt-get install redis-server)`;
    ctx.results.notes.push(why);
    ctx.log(why);
    return;
  }
  await scaleOut(ctx, out);
}
