/**
 * Resume after a restart. One sender per room keeps sending; every client
 * follows the protocol's reconnect policy and, where the server keeps history,
 * rejoins with its cursor (Tether: `since` + `epoch`; Socket.IO + SQLite:
 * the last row id). Each client checks that the sender counters it sees run
 * without gaps; senders with acks keep an outbox and resend what was not
 * acked, with the original id, after reconnecting.
 */
import { parseRestartHint } from '@tether/protocol/rules';

import type { ChatClient, HistoryMessage } from '../client/chat-client.js';
import { makeText, nowMicros, parseText, readCounter } from '../client/payload.js';
import { Samples } from '../metrics/samples.js';
import type {
  AwaitResumedArgs,
  AwaitResumedResult,
  TrafficArgs,
  VerifyArgs,
  VerifyResult,
} from './commands.js';
import { noRetries, type Fleet } from './fleet.js';

export class ResumeRun {
  private readonly senders: ChatClient[];
  private readonly roomOf = new Map<string, number>();
  private readonly sentPerRoom: number[];
  private readonly outboxes: Map<string, string>[];
  private readonly last: number[];
  private readonly missing: number[];
  private duplicates = 0;
  private timer: NodeJS.Timeout | undefined;
  private restartAt: number | undefined;
  private readonly closedAfterRestart = new Set<ChatClient>();
  private closesAfterRestart: Record<string, number> = {};
  private readonly resumedAt = new Map<ChatClient, number>();

  constructor(private readonly fleet: Fleet) {
    const rooms: string[] = [];
    this.senders = [];
    for (const client of fleet.clients) {
      if (!this.roomOf.has(client.room)) {
        this.roomOf.set(client.room, rooms.length);
        rooms.push(client.room);
        this.senders.push(client);
      }
    }
    this.sentPerRoom = rooms.map(() => 0);
    this.outboxes = rooms.map(() => new Map<string, string>());
    this.last = fleet.clients.map(() => 0);
    this.missing = fleet.clients.map(() => 0);
  }

  private hasOutbox(client: ChatClient): boolean {
    return client.options.dialect === 'tether' || client.options.socketIoAcks;
  }

  private track(client: ChatClient, counter: number): void {
    if (counter < 0) return;
    const i = client.index;
    const prev = this.last[i] as number;
    if (counter === prev + 1) this.last[i] = counter;
    else if (counter > prev + 1) {
      this.missing[i] = (this.missing[i] as number) + (counter - prev - 1);
      this.last[i] = counter;
    } else this.duplicates++;
  }

  start(args: TrafficArgs): { senders: number } {
    this.fleet.reconnect = true;
    this.fleet.hooks = {
      message: (client, buf, start, end) => this.track(client, readCounter(buf, start, end)),
      ready: (client, page: readonly HistoryMessage[]) => {
        for (const m of page) this.track(client, parseText(m.text)?.counter ?? -1);
        if (
          this.restartAt !== undefined &&
          this.closedAfterRestart.has(client) &&
          !this.resumedAt.has(client)
        ) {
          this.resumedAt.set(client, performance.now());
        }
        const room = this.roomOf.get(client.room) as number;
        if (this.senders[room] === client) {
          for (const [id, text] of this.outboxes[room] as Map<string, string>) client.send(id, text);
        }
      },
      ack: (client, id) => {
        this.outboxes[this.roomOf.get(client.room) as number]?.delete(id);
      },
      closed: (client, code, opened, reason) => {
        if (this.restartAt === undefined) return;
        this.closedAfterRestart.add(client);
        const key = `${code}${code === 1001 && parseRestartHint(reason) ? ' hint' : ''}${opened ? '' : ' before open'}`;
        this.closesAfterRestart[key] = (this.closesAfterRestart[key] ?? 0) + 1;
      },
    };
    this.timer = setInterval(() => this.tick(), 1000 / args.perRoomPerSec);
    return { senders: this.senders.length };
  }

  private tick(): void {
    this.senders.forEach((sender, room) => {
      const outbox = this.hasOutbox(sender);
      if (!outbox && !sender.joined) return; // a plain client cannot send while disconnected
      const counter = (this.sentPerRoom[room] ?? 0) + 1;
      const id = `r${room}n${counter}`;
      const text = makeText(nowMicros(), counter);
      if (outbox) (this.outboxes[room] as Map<string, string>).set(id, text);
      if (sender.joined) sender.send(id, text);
      this.sentPerRoom[room] = counter;
    });
  }

  markRestart(): { clientsOpen: number } {
    this.restartAt = performance.now();
    this.closedAfterRestart.clear();
    this.closesAfterRestart = {};
    this.resumedAt.clear();
    this.fleet.reconnectAttempts = [];
    this.fleet.retryStats = noRetries();
    return { clientsOpen: this.fleet.openCount };
  }

  async awaitResumed(args: AwaitResumedArgs): Promise<AwaitResumedResult> {
    const deadline = performance.now() + args.timeoutMs;
    const total = this.fleet.clients.length;
    while (this.resumedAt.size < total && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const restartAt = this.restartAt ?? 0;
    const times = new Samples();
    let lastAt = restartAt;
    for (const at of this.resumedAt.values()) {
      times.add(at - restartAt);
      if (at > lastAt) lastAt = at;
    }
    const attempts = new Samples();
    for (const client of this.fleet.clients) attempts.add(this.fleet.reconnectAttempts[client.index] ?? 0);
    return {
      clients: total,
      resumed: this.resumedAt.size,
      allResumedMs: lastAt - restartAt,
      resumeMs: times.summary(),
      attempts: attempts.summary(),
      closes: { ...this.closesAfterRestart },
      retries: { ...this.fleet.retryStats },
    };
  }

  stop(): { sent: number } {
    clearInterval(this.timer);
    return { sent: this.sentPerRoom.reduce((a, b) => a + b, 0) };
  }

  async verify(args: VerifyArgs): Promise<VerifyResult> {
    const start = performance.now();
    const caughtUp = (): boolean =>
      this.outboxes.every((o) => o.size === 0) &&
      this.fleet.clients.every(
        (c) =>
          (this.last[c.index] as number) >= (this.sentPerRoom[this.roomOf.get(c.room) as number] as number),
      );
    while (!caughtUp() && performance.now() - start < args.timeoutMs) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    let missing = 0;
    let clientsMissing = 0;
    for (const c of this.fleet.clients) {
      const final = this.sentPerRoom[this.roomOf.get(c.room) as number] as number;
      const lost = (this.missing[c.index] as number) + Math.max(0, final - (this.last[c.index] as number));
      missing += lost;
      if (lost > 0) clientsMissing++;
    }
    this.fleet.hooks = {};
    this.fleet.reconnect = false;
    return {
      sentPerRoom: [...this.sentPerRoom],
      missing,
      clientsMissing,
      duplicates: this.duplicates,
      unackedSends: this.outboxes.reduce((n, o) => n + o.size, 0),
      waitedMs: performance.now() - start,
    };
  }
}
