/**
 * Every client of one generator process, their counters, and the reconnect
 * policy of docs/protocol.md: after the n-th failed attempt in a row, wait a
 * random time in [0, min(10 s, 0.5 s × 2^(n-1))]; the count resets once a
 * connection has stayed up for 10 s; a 1013 close waits at least 5 s.
 */
import { ChatClient, type ChatClientEvents, type HistoryMessage } from '../client/chat-client.js';
import { counted } from '../client/lean-ws.js';
import { Samples } from '../metrics/samples.js';
import type { ConnectArgs, ConnectResult, QuiesceArgs, QuiesceResult } from './commands.js';

export interface FleetHooks {
  message?: (client: ChatClient, buf: Buffer, start: number, end: number) => void;
  ack?: (client: ChatClient, id: string) => void;
  refused?: (client: ChatClient, id: string | undefined, code: string) => void;
  ready?: (client: ChatClient, page: readonly HistoryMessage[]) => void;
  closed?: (client: ChatClient, code: number, opened: boolean) => void;
}

const STABLE_MS = 10_000;

export function backoffMs(attempt: number): number {
  return Math.random() * Math.min(10_000, 500 * 2 ** (attempt - 1));
}

interface PendingConnect {
  started: Map<ChatClient, number>;
  onJoined: (client: ChatClient) => void;
  deadline: number;
  closes: Record<string, number>;
  refusals: Record<string, number>;
}

export class Fleet implements ChatClientEvents {
  readonly clients: ChatClient[] = [];
  hooks: FleetHooks = {};
  /** Reconnect clients that were joined and lost their connection. */
  reconnect = false;
  /** Message frames seen by inspecting clients (count-mode frames are in `counted`). */
  private inspected = 0;
  /** Frames of any kind seen by inspecting clients, for quiescence. */
  private activity = 0;
  private readonly attempts: number[] = [];
  private readonly upSince: (number | undefined)[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private pending: PendingConnect | undefined;
  retries = 0;
  reconnectAttempts: number[] = [];

  /** Every message frame received so far, inspected or counted. */
  get deliveries(): number {
    return this.inspected + counted.frames;
  }

  get openCount(): number {
    let n = 0;
    for (const c of this.clients) if (c.isOpen) n++;
    return n;
  }

  /** Adds `count` clients and waits until they joined (or failed for good, or time ran out). */
  connect(args: ConnectArgs): Promise<ConnectResult> {
    const first = this.clients.length;
    const added: ChatClient[] = [];
    for (let i = first; i < first + args.count; i++) {
      const client = new ChatClient(
        i,
        {
          dialect: args.dialect,
          host: '127.0.0.1',
          port: args.ports[i % args.ports.length] as number,
          name: `b${i}`,
          room: args.rooms[i % args.rooms.length] as string,
          connectTimeoutMs: Math.min(args.timeoutMs, 30_000),
          socketIoAcks: args.socketIoAcks,
          trackCursor: args.trackCursor,
        },
        this,
      );
      client.modeAfterJoin = i < args.senders || i % args.probeEvery === 0 ? 'inspect' : 'count';
      this.clients.push(client);
      this.attempts[i] = 0;
      added.push(client);
    }
    const joinMs = new Samples();
    const startedAt = performance.now();
    const retriesBefore = this.retries;
    const closes: Record<string, number> = {};
    const refusals: Record<string, number> = {};
    return new Promise((resolve) => {
      let next = 0;
      let inFlight = 0;
      let joined = 0;
      let lastJoinAt = startedAt;
      const started = new Map<ChatClient, number>();
      const launch = (): void => {
        while (inFlight < args.concurrency && next < added.length) {
          const client = added[next++] as ChatClient;
          inFlight++;
          started.set(client, performance.now());
          client.connect();
        }
      };
      const finish = (): void => {
        clearTimeout(deadlineTimer);
        this.pending = undefined;
        resolve({
          requested: args.count,
          joined,
          failed: args.count - joined,
          retries: this.retries - retriesBefore,
          elapsedMs: lastJoinAt - startedAt,
          joinMs: joinMs.summary(),
          closes,
          refusals,
        });
      };
      const deadlineTimer = setTimeout(finish, args.timeoutMs);
      this.pending = {
        started,
        deadline: startedAt + args.timeoutMs,
        closes,
        refusals,
        onJoined: (client) => {
          const at = performance.now();
          joinMs.add(at - (started.get(client) ?? at));
          started.delete(client);
          lastJoinAt = at;
          joined++;
          inFlight--;
          if (joined === args.count) finish();
          else launch();
        },
      };
      launch();
    });
  }

  /** Waits until no frame has arrived for `quietMs` (presence storms after joins drain first). */
  async quiesce(args: QuiesceArgs): Promise<QuiesceResult> {
    const start = performance.now();
    let last = this.deliveries + this.activity;
    let quietSince = performance.now();
    while (performance.now() - start < args.timeoutMs) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const now = this.deliveries + this.activity;
      if (now !== last) {
        last = now;
        quietSince = performance.now();
      } else if (performance.now() - quietSince >= args.quietMs) {
        return { quiet: true, waitedMs: performance.now() - start };
      }
    }
    return { quiet: false, waitedMs: performance.now() - start };
  }

  closeAll(graceful: boolean): number {
    this.reconnect = false;
    this.pending = undefined;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    let n = 0;
    for (const client of this.clients) {
      if (graceful) client.close();
      else client.ws?.destroy();
      n++;
    }
    return n;
  }

  private schedule(client: ChatClient, code: number): void {
    const i = client.index;
    const attempt = (this.attempts[i] = (this.attempts[i] ?? 0) + 1);
    this.reconnectAttempts[i] = (this.reconnectAttempts[i] ?? 0) + 1;
    let delay = backoffMs(attempt);
    if (code === 1013) delay = Math.max(delay, 5000);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      client.connect();
    }, delay);
    this.timers.add(timer);
  }

  // ChatClientEvents

  ready(client: ChatClient, page: readonly HistoryMessage[]): void {
    this.activity++;
    this.upSince[client.index] = performance.now();
    const pending = this.pending;
    if (pending?.started.has(client)) pending.onJoined(client);
    this.hooks.ready?.(client, page);
  }

  message(client: ChatClient, buf: Buffer, start: number, end: number): void {
    this.inspected++;
    this.hooks.message?.(client, buf, start, end);
  }

  ack(client: ChatClient, id: string): void {
    this.activity++;
    this.hooks.ack?.(client, id);
  }

  refused(client: ChatClient, id: string | undefined, code: string): void {
    this.activity++;
    const pending = this.pending;
    if (pending?.started.has(client)) pending.refusals[code] = (pending.refusals[code] ?? 0) + 1;
    this.hooks.refused?.(client, id, code);
  }

  closed(client: ChatClient, code: number, opened: boolean): void {
    const i = client.index;
    const up = this.upSince[i];
    if (up !== undefined && performance.now() - up >= STABLE_MS) this.attempts[i] = 0;
    this.upSince[i] = undefined;
    this.hooks.closed?.(client, code, opened);
    const pending = this.pending;
    if (pending?.started.has(client)) {
      const key = `${code}${opened ? '' : ' before open'}`;
      pending.closes[key] = (pending.closes[key] ?? 0) + 1;
    }
    const connecting = pending?.started.has(client) === true && performance.now() < pending.deadline;
    // Closes the protocol says are not retried in a loop.
    const final = code === 1002 || code === 1003 || code === 1008 || code === 1009;
    if (final) return;
    if (connecting) {
      this.retries++;
      this.schedule(client, code);
    } else if (this.reconnect) {
      this.schedule(client, code);
    }
  }
}
