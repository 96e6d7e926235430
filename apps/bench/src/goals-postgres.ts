/**
 * The goals of Tether on PostgreSQL (issue 13), beside the SQLite figures of
 * the same run; listed with the others (goals.ts).
 */
import { int, ms } from './format.js';
import type { Figure, GoalRow, Run } from './goal-rows.js';
import { burstPhase, postgresIngestOf, sqliteIngest } from './results.js';
import type { ServerId } from './servers/types.js';

/** The offered rate of durable ingest on PostgreSQL (its first rate phase); 0 without one. */
const postgresRate = (run: Run): number =>
  postgresIngestOf(run.results, 'tether-postgres')?.phases.find((p) => p.offeredPerSec !== undefined)
    ?.offeredPerSec ?? 0;
const postgresAtRate = (run: Run, server: ServerId) =>
  postgresIngestOf(run.results, server)?.phases.find((p) => p.offeredPerSec === postgresRate(run));

/**
 * Acked messages/s in the burst on PostgreSQL; `tether` reads Tether on
 * SQLite (the ingest scenario's row, or the one the postgres scenario measured).
 */
const postgresBurst: Figure = (run, server) =>
  burstPhase(server === 'tether' ? sqliteIngest(run.results)?.row : postgresIngestOf(run.results, server))
    ?.result.ackedPerSec;

/** What the Socket.IO peer made of the rate Tether's ack p99 is judged at. */
const peerAtRateNote = (run: Run): string => {
  const peer = postgresAtRate(run, 'socketio-postgres');
  if (peer?.offeredPerSec === undefined) return '';
  const kept = peer.result.ackedPerSec >= 0.95 * peer.offeredPerSec;
  return (
    `Socket.IO + PostgreSQL at ${int(peer.offeredPerSec)}/s: ${int(peer.result.ackedPerSec)} acked/s, ` +
    `p99 ${ms(peer.result.ackMs.p99)} ms${kept ? '' : ' (not sustained)'}`
  );
};

export const POSTGRES_GOALS: readonly GoalRow[] = [
  {
    text: 'durable ingest on PostgreSQL, acked messages/s (burst), Tether ÷ Socket.IO + PostgreSQL (one process each)',
    scenario: 'postgres',
    server: 'tether-postgres',
    peer: 'socketio-postgres',
    figure: postgresBurst,
    compare: '>=',
    bound: 5,
  },
  {
    text: 'durable ingest acked messages/s (burst), Tether on PostgreSQL ÷ Tether on SQLite (one process each)',
    scenario: 'postgres',
    server: 'tether-postgres',
    peer: 'tether',
    figure: postgresBurst,
    compare: '>=',
    bound: 0.5,
    note: (run) => {
      const sqlite = sqliteIngest(run.results);
      return sqlite?.from === 'postgres'
        ? 'SQLite measured in the postgres scenario (the ingest scenario did not run)'
        : '';
    },
  },
  {
    text: (run) => `ack p99 at ${int(postgresRate(run))} messages/s, Tether on PostgreSQL (one process)`,
    scenario: 'postgres',
    server: 'tether-postgres',
    figure: (run, s) => postgresAtRate(run, s)?.result.ackMs.p99,
    // The durable-ingest ack p99 bound of the SQLite goal.
    compare: '<=',
    bound: 25,
    unit: 'ms',
    note: peerAtRateNote,
  },
];
