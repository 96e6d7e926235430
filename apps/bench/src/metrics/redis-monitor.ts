/**
 * Counts the commands Redis runs, from MONITOR: which client sent each one,
 * and whether it ran inside a script (`[0 lua]`), which is no round trip.
 */
import net from 'node:net';

export interface CommandCounts {
  /** Commands sent by clients (round trips), by lower-case name. */
  clients: Map<string, number>;
  /** Commands run inside scripts. */
  scripted: number;
}

const LINE = /^\+\d+\.\d+ \[\d+ ([^\]]+)\] "([^"]+)"/;

export class RedisMonitor {
  private readonly socket: net.Socket;
  private rest = '';
  private counts: CommandCounts = { clients: new Map(), scripted: 0 };

  private constructor(port: number) {
    this.socket = net.connect({ host: '127.0.0.1', port });
    this.socket.setEncoding('utf8');
    this.socket.on('data', (chunk: string) => this.read(chunk));
    this.socket.on('error', () => undefined);
  }

  static async start(port: number): Promise<RedisMonitor> {
    const monitor = new RedisMonitor(port);
    await new Promise<void>((resolve, reject) => {
      monitor.socket.once('connect', () => resolve());
      monitor.socket.once('error', reject);
    });
    monitor.socket.write('MONITOR\r\n');
    await new Promise((resolve) => setTimeout(resolve, 100));
    return monitor;
  }

  private read(chunk: string): void {
    const lines = (this.rest + chunk).split('\r\n');
    this.rest = lines.pop() ?? '';
    for (const line of lines) {
      const match = LINE.exec(line);
      if (!match) continue;
      const source = match[1] as string;
      const name = (match[2] as string).toLowerCase();
      if (source === 'lua') this.counts.scripted++;
      else this.counts.clients.set(name, (this.counts.clients.get(name) ?? 0) + 1);
    }
  }

  /** Counts since the last call. */
  take(): CommandCounts {
    const counts = this.counts;
    this.counts = { clients: new Map(), scripted: 0 };
    return counts;
  }

  stop(): void {
    this.socket.destroy();
  }
}

export function total(counts: CommandCounts): number {
  let n = 0;
  for (const v of counts.clients.values()) n += v;
  return n;
}
