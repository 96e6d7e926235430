/**
 * Global setup of the `server-postgres` project: one PostgreSQL cluster and
 * one redis-server for the run. Every test server gets a schema of its own in
 * the cluster and a key prefix of its own in Redis, so tests stay isolated.
 */
import type { TestProject } from 'vitest/node';

import { startCluster } from '../../../../scripts/postgres-cluster.mjs';
import { startRedisServer } from './redis.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string | undefined;
    redisUrl: string | undefined;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [cluster, redis] = await Promise.all([startCluster(), startRedisServer()]);
  project.provide('postgresUrl', cluster.url);
  project.provide('redisUrl', redis.url);
  return async () => {
    await Promise.allSettled([cluster.stop(), redis.dispose()]);
  };
}
