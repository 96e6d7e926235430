/**
 * Fan-out between processes over Redis pub/sub, on one channel. Each event
 * travels in an envelope naming the process that sent it, which ignores its
 * own when they come back (it delivered them to its own connections already).
 *
 * Pub/sub is best effort, and so is this: a message event lost or late is
 * fetched from the store by the room that misses its seq (see Room), and a
 * lost subscription makes every room catch up (`missed`).
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

import type { Bus, BusEvent, BusListener } from '../chat/ports.js';
import { decodeEnvelope, encodeEnvelope, type RedisKeys } from './keys.js';

export class RedisBus implements Bus {
  private readonly listeners: BusListener[] = [];
  private readonly channel: string;
  private subscribedOnce = false;

  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    keys: RedisKeys,
    private readonly nodeId: string,
    private readonly log: Logger,
  ) {
    this.channel = keys.channel();
    subscriber.on('message', (channel: string, payload: string) => {
      if (channel === this.channel) this.receive(payload);
    });
    subscriber.on('ready', () => {
      // ioredis resubscribes by itself; what was published meanwhile is gone.
      if (this.subscribedOnce) for (const listener of this.listeners) listener.missed();
    });
  }

  async start(): Promise<void> {
    await this.subscriber.subscribe(this.channel);
    this.subscribedOnce = true;
  }

  private receive(payload: string): void {
    const envelope = decodeEnvelope(payload);
    if (!envelope) {
      this.log.warn('ignored a malformed bus event');
      return;
    }
    if (envelope.n === this.nodeId) return;
    for (const listener of this.listeners) listener.event(envelope.e);
  }

  publish(event: BusEvent): void {
    this.publisher.publish(this.channel, encodeEnvelope(this.nodeId, event)).catch((error: unknown) => {
      // Typing and presence hints are best effort: presence is re-read regularly.
      this.log.debug({ err: error }, 'could not publish a bus event');
    });
  }

  subscribe(listener: BusListener): void {
    this.listeners.push(listener);
  }

  check(): Promise<void> {
    return this.subscriber.status === 'ready'
      ? Promise.resolve()
      : Promise.reject(new Error(`redis subscription is ${this.subscriber.status}`));
  }

  close(): Promise<void> {
    this.listeners.length = 0;
    return Promise.resolve();
  }
}
