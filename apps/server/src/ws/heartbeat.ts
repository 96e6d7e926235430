/**
 * Server side of the heartbeat: a ping frame to every connection each
 * interval, and termination of those from which nothing (pong or frame) has
 * arrived for interval + timeout. With a check each interval, a dead peer is
 * gone at the latest 2 × interval + timeout after its last frame.
 */
import type { Connection } from './connection.js';

export interface HeartbeatOptions {
  intervalMs: number;
  timeoutMs: number;
  now: () => number;
  onDead: (connection: Connection) => void;
}

export class Heartbeat {
  private readonly connections = new Set<Connection>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: HeartbeatOptions) {}

  start(): void {
    this.timer ??= setInterval(() => this.tick(), this.options.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  add(connection: Connection): void {
    this.connections.add(connection);
  }

  delete(connection: Connection): void {
    this.connections.delete(connection);
  }

  private tick(): void {
    const now = this.options.now();
    const limit = this.options.intervalMs + this.options.timeoutMs;
    for (const connection of this.connections) {
      if (now - connection.lastSeen > limit) {
        this.connections.delete(connection);
        connection.terminate();
        this.options.onDead(connection);
      } else {
        connection.ws.ping();
      }
    }
  }
}
