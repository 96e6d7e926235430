/**
 * PostgreSQL as Tether's store for several server processes: the schema is
 * brought up to date at start, then every process appends through its own
 * pool.
 */
import type { Logger } from 'pino';

import type { ChatStore } from '../chat/ports.js';
import { createPool, redactUrl } from './connection.js';
import { migrate } from './schema.js';
import { PostgresStore } from './store.js';

export { PostgresStore } from './store.js';
export { createPool, redactUrl } from './connection.js';
export { migrate, SCHEMA_VERSION } from './schema.js';

export interface PostgresOptions {
  url: string;
  poolSize: number;
  /** How long to wait for PostgreSQL at start, and for a free connection later. */
  connectTimeoutMs: number;
  log: Logger;
}

/** Connects, migrates, and answers the store; fails with a clear message if PostgreSQL cannot be reached. */
export async function postgresBackend(options: PostgresOptions): Promise<{ store: ChatStore }> {
  const pool = createPool({
    url: options.url,
    size: options.poolSize,
    log: options.log,
    connectTimeoutMs: options.connectTimeoutMs,
  });
  try {
    const found = await migrate(pool);
    options.log.debug({ found }, 'postgres schema up to date');
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new Error(
      `could not prepare postgres at ${redactUrl(options.url)}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return { store: new PostgresStore(pool) };
}
