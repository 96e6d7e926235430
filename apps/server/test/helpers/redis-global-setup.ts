/**
 * Global setup of the `server-redis` project: one redis-server for the run.
 * Every test server gets its own key prefix in it, so tests stay isolated.
 */
import type { TestProject } from 'vitest/node';

import { startRedisServer } from './redis.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string | undefined;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const redis = await startRedisServer();
  project.provide('redisUrl', redis.url);
  return () => redis.dispose();
}
