/**
 * A sender for crash tests that does by hand what PROTOCOL.md › Reconnect
 * asks of a client, step by step under the test's control:
 *
 * - `pump` keeps a window of sends in flight (rooms taken in turn) until the
 *   test says stop or the connection dies (the kill), recording every ack;
 * - `resume` connects again: hello with its token, join every room, resend
 *   every unacked id with its original room and text, and wait for those acks.
 *
 * It remembers every id it sent and the first ack of each, so a test can
 * check that nothing acked was lost and nothing was stored twice.
 */
import type { ServerMessage } from '@tether/protocol';
import { onTestFinished } from 'vitest';

import { TestClient } from './client.js';

export interface Sent {
  room: string;
  text: string;
}

export interface Acked {
  room: string;
  seq: number;
}

export class AckTrackingSender {
  token: string | undefined;
  userId: string | undefined;
  /** The current connection; replaced by `resume`. */
  client: TestClient | undefined;
  /** Every id sent, with its room and text, in send order. */
  readonly sent = new Map<string, Sent>();
  /** Acked id → room and seq of its first ack. */
  readonly acked = new Map<string, Acked>();
  /** Acks whose room or seq differed from an earlier ack of the same id. */
  readonly mismatches: string[] = [];
  private next = 0;

  constructor(
    readonly name: string,
    readonly rooms: readonly string[],
    /** Sends in flight at once. */
    readonly window: number,
  ) {}

  /** Ids sent and not acked (yet). */
  unacked(): string[] {
    return [...this.sent.keys()].filter((id) => !this.acked.has(id));
  }

  /**
   * Keeps `window` sends in flight until `stop()` or `maxNew` new sends, then
   * waits for the outstanding acks. Returns quietly when the connection dies
   * (the kill); any error frame is a failure.
   */
  async pump(stop: () => boolean, maxNew = Number.POSITIVE_INFINITY): Promise<void> {
    const client = this.connected();
    const inflight = new Set<string>();
    let sentNew = 0;
    for (;;) {
      while (!stop() && sentNew < maxNew && inflight.size < this.window && client.isOpen()) {
        const id = `${this.name}-${this.next}`;
        const room = this.rooms[this.next % this.rooms.length]!;
        this.next += 1;
        const text = `${this.name} says ${id}`;
        this.sent.set(id, { room, text });
        inflight.add(id);
        client.send({ type: 'send', room, id, text });
        sentNew += 1;
      }
      if (inflight.size === 0 || !client.isOpen()) return;
      let frame: ServerMessage;
      try {
        frame = await client.nextWhere(
          (f) => (f.type === 'ack' && inflight.has(f.id)) || f.type === 'error',
          5000,
          `an ack for ${this.name}`,
        );
      } catch (error) {
        if (!client.isOpen()) return; // killed mid-stream
        throw error;
      }
      if (frame.type !== 'ack') throw new Error(`${this.name} got ${JSON.stringify(frame)}`);
      inflight.delete(frame.id);
      this.recordAck(frame.id, frame.room, frame.seq);
      client.discard('message');
    }
  }

  /** Reconnects with the token, joins every room, resends every unacked id with its original room and text. */
  async resume(wsUrl: string): Promise<void> {
    const client = await TestClient.connect(wsUrl);
    onTestFinished(() => client.terminate());
    this.client = client;
    await client.hello(this.name, this.token);
    this.token = client.token;
    this.userId = client.user!.id;
    for (const room of this.rooms) await client.join(room);
    const pending = this.unacked();
    for (const id of pending) client.send({ type: 'send', id, ...this.sent.get(id)! });
    const waiting = new Set(pending);
    while (waiting.size > 0) {
      const frame = await client.nextWhere(
        (f) => (f.type === 'ack' && waiting.has(f.id)) || f.type === 'error',
        5000,
        `resent acks for ${this.name} (${waiting.size} left)`,
      );
      if (frame.type !== 'ack') throw new Error(`${this.name} resend got ${JSON.stringify(frame)}`);
      waiting.delete(frame.id);
      this.recordAck(frame.id, frame.room, frame.seq);
    }
    client.discard('message');
  }

  private connected(): TestClient {
    if (!this.client) throw new Error(`${this.name} has not connected: resume() first`);
    return this.client;
  }

  private recordAck(id: string, room: string, seq: number): void {
    const first = this.acked.get(id);
    if (first === undefined) this.acked.set(id, { room, seq });
    else if (first.room !== room || first.seq !== seq) {
      this.mismatches.push(`${id}: ${first.room}:${first.seq} then ${room}:${seq}`);
    }
  }
}

/** `count` senders named sender0, sender1, … */
export function makeSenders(count: number, rooms: readonly string[], window: number): AckTrackingSender[] {
  return Array.from({ length: count }, (_, i) => new AckTrackingSender(`sender${i}`, rooms, window));
}

/** Acks received by all of `senders` (first acks only). */
export function ackedCount(senders: readonly AckTrackingSender[]): number {
  return senders.reduce((n, s) => n + s.acked.size, 0);
}

/** Ids sent and not acked, over all of `senders`. */
export function unackedCount(senders: readonly AckTrackingSender[]): number {
  return senders.reduce((n, s) => n + s.unacked().length, 0);
}
