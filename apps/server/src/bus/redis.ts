/**
 * Fan-out between processes over Redis pub/sub. Each event carries the id of
 * the process that sent it, which ignores its own: it delivered them locally
 * already, at once.
 *
 * Messages are published by the store's append script, in the same step that
 * stores them, so `publish` of a message event only delivers it here.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

import { randomId } from '../store/ids.js';
import type { Bus, BusEvent, BusHandler } from './types.js';

export const BUS_CHANNEL = 'bus';

interface Envelope {
  n: string;
  e: BusEvent;
}

export class RedisBus implements Bus {
  readonly nodeId = randomId('n');
  private readonly handlers: BusHandler[] = [];
  private readonly channel: string;
  private subscribedOnce = false;

  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    prefix: string,
    private readonly log: Logger,
    /** Called after the subscription came back from a disconnect: events may have been missed. */
    private readonly onResubscribed: () => void,
  ) {
    this.channel = `${prefix}${BUS_CHANNEL}`;
    subscriber.on('message', (channel: string, payload: string) => {
      if (channel === this.channel) this.receive(payload);
    });
    subscriber.on('ready', () => {
      // ioredis resubscribes by itself; what was published meanwhile is gone.
      if (this.subscribedOnce) this.onResubscribed();
    });
  }

  async start(): Promise<void> {
    await this.subscriber.subscribe(this.channel);
    this.subscribedOnce = true;
  }

  private receive(payload: string): void {
    let envelope: Envelope;
    try {
      envelope = JSON.parse(payload) as Envelope;
    } catch {
      this.log.warn('ignored a malformed bus event');
      return;
    }
    if (envelope.n === this.nodeId) return;
    this.dispatch(envelope.e);
  }

  private dispatch(event: BusEvent): void {
    for (const handler of this.handlers) handler(event);
  }

  publish(event: BusEvent): void {
    this.dispatch(event);
    if (event.kind === 'message') return;
    const envelope: Envelope = { n: this.nodeId, e: event };
    this.publisher.publish(this.channel, JSON.stringify(envelope)).catch((error: unknown) => {
      // Typing and presence hints are best effort: presence is re-read regularly.
      this.log.debug({ err: error }, 'could not publish a bus event');
    });
  }

  subscribe(handler: BusHandler): void {
    this.handlers.push(handler);
  }

  check(): Promise<void> {
    return this.subscriber.status === 'ready'
      ? Promise.resolve()
      : Promise.reject(new Error(`redis subscription is ${this.subscriber.status}`));
  }

  close(): Promise<void> {
    this.handlers.length = 0;
    return Promise.resolve();
  }
}
