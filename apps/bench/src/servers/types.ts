/** What the scenarios need to know of a server under test. */
import type { DialectName } from '../client/dialect.js';
import type { ManagedProcess } from '../processes.js';

export type ServerId =
  | 'tether'
  | 'ws-naive'
  | 'ws-floor'
  | 'socketio'
  | 'socketio-sqlite'
  | 'socketio-postgres'
  /** Tether on PostgreSQL (DATABASE_URL), one process. */
  | 'tether-postgres'
  /** Three Tether processes on one PostgreSQL and one Redis (bus and presence). */
  | 'tether-postgres-3';

export interface ServerInstance {
  readonly id: ServerId;
  readonly label: string;
  readonly dialect: DialectName;
  /** Socket.IO sends ask for an ack (only the SQLite variant answers). */
  readonly socketIoAcks: boolean;
  /** Whether a rejoining client can ask for what it missed. */
  readonly hasHistory: boolean;
  /** The server processes (one per node). */
  readonly processes: readonly ManagedProcess[];
  readonly ports: readonly number[];
  /** SIGTERM (SIGKILL after a grace period) and wait for the exit. */
  stop(): Promise<void>;
  /**
   * Stops the server, gracefully (SIGTERM, as `stop`) or as a crash
   * (SIGKILL), and starts it again on the same port and data; resolves once
   * it is ready again.
   */
  restart?(kind: RestartKind, onStopped?: () => void): Promise<void>;
}

/** A graceful restart (SIGTERM, then start again) or a crash (SIGKILL, then start again). */
export type RestartKind = 'SIGTERM' | 'SIGKILL';

export interface StartContext {
  /** Folder for this run's databases, logs and profiles. */
  workDir: string;
  /** Core the servers are pinned to. */
  serverCpu: number | undefined;
}
