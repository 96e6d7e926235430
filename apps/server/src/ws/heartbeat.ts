/**
 * Server side of the heartbeat: a ping frame to every connection each
 * interval, and termination of those from which nothing (pong or frame) has
 * arrived for interval + timeout. With a check each interval, a dead peer is
 * gone at the latest 2 × interval + timeout after its last frame.
 *
 * A message that has been arriving for longer than interval + timeout without
 * being finished (endless fragments, or one frame trickled a byte at a time)
 * is no sign of life either, even while pongs keep coming: such a connection
 * is terminated by the same rule.
 */
import type { Connection } from './connection.js';

export interface HeartbeatOptions {
  intervalMs: number;
  timeoutMs: number;
  now: () => number;
  onDead: (connection: Connection, reason: 'silent' | 'stalled message') => void;
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
      const started = connection.inbound.messageStartedAt;
      const stalled = started !== undefined && now - started > limit;
      if (stalled || now - connection.lastSeen > limit) {
        this.connections.delete(connection);
        connection.terminate();
        this.options.onDead(connection, stalled ? 'stalled message' : 'silent');
      } else {
        connection.ws.ping();
      }
    }
  }
}
