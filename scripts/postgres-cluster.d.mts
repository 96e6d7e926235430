/** Types of postgres-cluster.mjs, for the TypeScript tests and tools that start a cluster. */
export interface ClusterOptions {
  binDir?: string;
  tmpRoot?: string;
  timeoutMs?: number;
  /** Copy a cached initdb result instead of running initdb (default true). */
  template?: boolean;
  keep?: boolean;
  /** Keep the cluster in this folder between runs (data in `<baseDir>/data`), instead of a fresh temporary one. */
  baseDir?: string;
  port?: number;
  sharedBuffers?: string;
  maxConnections?: number;
  settings?: Record<string, string>;
  /** A detached watchdog stops the cluster if this process dies (default true). */
  watchdog?: boolean;
}

export interface PostgresCluster {
  /** `postgres://postgres@127.0.0.1:PORT/postgres` (trust authentication, loopback only). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly socketDir: string;
  readonly dataDir: string;
  readonly baseDir: string;
  readonly logFile: string;
  readonly pid: number;
  readonly startupMs: number;
  readonly timings: Record<string, number>;
  /** SIGKILL the postmaster. */
  crash(): void;
  /** Start PostgreSQL again on the same data and port; resolves with the milliseconds it took. */
  restart(): Promise<number>;
  /** Stop and remove the data (idempotent). */
  stop(options?: { mode?: 'fast' | 'immediate' }): Promise<void>;
}

export function startCluster(options?: ClusterOptions): Promise<PostgresCluster>;
