/**
 * The connection pool to PostgreSQL (node-postgres). One pool per process,
 * sized by DATABASE_POOL_SIZE: the group commit holds one connection at a
 * time, reads and the other writes share the rest.
 */
import pg from 'pg';
import type { Logger } from 'pino';

// BIGINT columns (seq, ts, expiry) come back as numbers: every value Tether
// stores there is below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export interface PoolOptions {
  url: string;
  size: number;
  log: Logger;
  /** How long a query may wait for a free connection before it fails. */
  connectTimeoutMs: number;
}

export function createPool(options: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.size,
    connectionTimeoutMillis: options.connectTimeoutMs,
    // Idle connections go after a while; the pool opens new ones on demand,
    // which is also how it comes back after PostgreSQL restarts.
    idleTimeoutMillis: 30_000,
    application_name: 'tether',
  });
  // A connection that breaks while idle in the pool (PostgreSQL restarted,
  // the network dropped) is dropped from it; without a listener the error
  // would end the process.
  pool.on('error', (error) => {
    options.log.warn({ err: error }, 'a PostgreSQL connection broke; the pool opens another when needed');
  });
  return pool;
}

/** The URL without its password, for logs. */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return 'postgres://(unparsable url)';
  }
}

/** PostgreSQL's code for a unique constraint that refused a row. */
export const UNIQUE_VIOLATION = '23505';

export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const e = error as { code?: unknown; constraint?: unknown };
  return e.code === UNIQUE_VIOLATION && (constraint === undefined || e.constraint === constraint);
}
