/**
 * Every client of one generator process, their counters, and their
 * reconnect policy: each client waits as a real client of its server would
 * (client/reconnect.ts: docs/protocol.md §9 for Tether, restart hint and
 * /readyz probe included; socket.io-client's defaults for Socket.IO).
 */
import { ChatClient, type ChatClientEvents, type HistoryMessage } from '../client/chat-client.js';
import { counted } from '../client/lean-ws.js';
import { readyz } from '../client/ready-probe.js';
import {
  reconnectPolicy,
  waitThenRetry,
  type PendingRetry,
  type ReconnectPolicy,
  type Wait,
} from '../client/reconnect.js';
import { Samples } from '../metrics/samples.js';
import type { ConnectArgs, ConnectResult, QuiesceArgs, QuiesceResult, RetryStats } from './commands.js';

export interface FleetHooks {
  message?: (client: ChatClient, buf: Buffer, start: number, end: number) => void;
  ack?: (client: ChatClient, id: string) => void;
  refused?: (client: ChatClient, id: string | undefined, code: string) => void;
  ready?: (client: ChatClient, page: readonly HistoryMessage[]) => void;
  closed?: (client: ChatClient, code: number, opened: boolean, reason: string) => void;
}

export const noRetries = (): RetryStats => ({ paced: 0, backoff: 0, probes: 0, hits: 0 });

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
  private readonly policies: ReconnectPolicy[] = [];
  private readonly waiting = new Map<ChatClient, PendingRetry>();
  private pending: PendingConnect | undefined;
  retries = 0;
  reconnectAttempts: number[] = [];
  retryStats: RetryStats = noRetries();

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
      this.policies[i] = reconnectPolicy(args.dialect);
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
      let last: ChatClient | undefined;
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
          lastMemberCount: last?.memberCount,
          roomClients: last ? this.clients.filter((c) => c.room === last?.room).length : 0,
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
          last = client;
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
    for (const retry of this.waiting.values()) retry.cancel();
    this.waiting.clear();
    let n = 0;
    for (const client of this.clients) {
      if (graceful) client.close();
      else client.ws?.destroy();
      n++;
    }
    return n;
  }

  private schedule(client: ChatClient, wait: Wait): void {
    const i = client.index;
    this.reconnectAttempts[i] = (this.reconnectAttempts[i] ?? 0) + 1;
    if (wait.paced) this.retryStats.paced++;
    else this.retryStats.backoff++;
    this.waiting.get(client)?.cancel();
    this.waiting.set(
      client,
      waitThenRetry(
        wait,
        () => {
          this.waiting.delete(client);
          client.connect();
        },
        () => readyz(client.options.host, client.options.port),
        this.retryStats,
      ),
    );
  }

  // ChatClientEvents

  connected(client: ChatClient): void {
    this.policies[client.index]?.connected(performance.now());
  }

  ready(client: ChatClient, page: readonly HistoryMessage[]): void {
    this.activity++;
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

  closed(client: ChatClient, code: number, opened: boolean, reason: string): void {
    this.hooks.closed?.(client, code, opened, reason);
    const pending = this.pending;
    if (pending?.started.has(client)) {
      const key = `${code}${opened ? '' : ' before open'}`;
      pending.closes[key] = (pending.closes[key] ?? 0) + 1;
    }
    const connecting = pending?.started.has(client) === true && performance.now() < pending.deadline;
    if (!connecting && !this.reconnect) return;
    // undefined: a close the client's policy does not retry (1002, 1003, 1008, 1009).
    const wait = this.policies[client.index]?.closed({ code, reason, opened }, performance.now());
    if (wait === undefined) return;
    if (connecting) this.retries++;
    this.schedule(client, wait);
  }
}
