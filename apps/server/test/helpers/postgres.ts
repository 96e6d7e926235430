/**
 * PostgreSQL for tests: the run's real cluster (Debian's postgresql, started
 * by the `server-postgres` project's global setup with
 * scripts/postgres-cluster.mjs), and a fresh schema per test server, so
 * tests stay isolated without a database each.
 */
import { randomBytes } from 'node:crypto';

import pg from 'pg';
import { inject } from 'vitest';

export { startCluster, type PostgresCluster } from '../../../../scripts/postgres-cluster.mjs';

/** The run's PostgreSQL, if this project uses one. */
export function testPostgresUrl(): string | undefined {
  return inject('postgresUrl');
}

/**
 * A new, empty schema in the cluster at `baseUrl`, and the URL that makes it
 * the connection's `search_path`: the server creates its tables there.
 */
export async function freshSchema(baseUrl: string): Promise<string> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA ${schema}`);
  } finally {
    await client.end();
  }
  const url = new URL(baseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

/** Runs one query against `url` on a connection of its own (to look at what the server stored). */
export async function query<T extends pg.QueryResultRow>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}
