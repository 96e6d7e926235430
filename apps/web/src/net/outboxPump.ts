/**
 * The outbox's traffic: each 'sending' item goes out once per connection,
 * oldest first, at the pace the server allows, and is tracked as in flight
 * until its `ack` or `error`. The outbox itself is state (state/outbox.ts):
 * it survives reloads and reconnects; what is in flight is void with the
 * socket it went out on, and everything unanswered goes out again (same id)
 * on the next one.
 */
import type { DeleteRequest, EditRequest, ReactRequest, Send, WelcomeLimits } from '@tether/protocol';
import { ERROR_CODES } from '@tether/protocol/constants';

import { enqueue, markFailed, markSending, removeItem } from '../state/outbox';
import { outboxSlice } from '../state/reducers';
import type { ChatStateStore } from '../state/store';
import type { OutboxItem } from '../state/types';
import type { Clock, TimerHandle, Timers } from './env';
import { FALLBACK_SEND_LIMITS } from './options';
import { retryAfterDelay } from './retryAfter';
import { TokenBucket } from './tokenBucket';

/** Pause before resending after `internal`: the store is away, give it time. */
const INTERNAL_RETRY_MS = 2000;

export interface OutboxPumpOptions {
  store: ChatStateStore;
  clock: Clock;
  timers: Timers;
  random: () => number;
  /** After `rate_limited`, nothing is sent for this long (plus jitter). */
  rateLimitRetryMs: number;
  /** Most messages in the outbox. */
  outboxLimit: number;
  /** Sends on the current socket; false when it could not. */
  send(frame: OutboxFrame): boolean;
  /** Whether the room's `join` went out on the current connection, so sends to it may follow. */
  joined(room: string): boolean;
}

/** What an outbox item goes out as. */
export type OutboxFrame = Send | EditRequest | DeleteRequest | ReactRequest;

/** The request an item stands for: a send (replying or not), or a change of a message. */
export function frameOf(item: OutboxItem): OutboxFrame {
  const { id, room, change } = item;
  switch (change?.kind) {
    case undefined: {
      const send: Send = { type: 'send', room, id, text: item.text };
      if (item.replyTo) send.replyTo = item.replyTo.seq;
      return send;
    }
    case 'edit':
      return { type: 'edit', room, id, target: change.target, text: item.text };
    case 'delete':
      return { type: 'delete', room, id, target: change.target };
    case 'react':
      return { type: 'react', room, id, target: change.target, emoji: change.emoji, on: change.on };
  }
}

export class OutboxPump {
  readonly #options: OutboxPumpOptions;
  readonly #store: ChatStateStore;
  /** Paces sends to the server's per-user rate; until a welcome says it, the fallback's. */
  readonly #bucket: TokenBucket;
  /** Outbox ids sent on the current connection and not answered yet. */
  readonly #inflight = new Set<string>();
  #connected = false;
  #timer: TimerHandle | undefined;

  constructor(options: OutboxPumpOptions) {
    this.#options = options;
    this.#store = options.store;
    this.#bucket = new TokenBucket(
      FALLBACK_SEND_LIMITS.burst,
      FALLBACK_SEND_LIMITS.sendsPerSec,
      options.clock,
    );
  }

  /** The session is up: pace by the limits the server announced (or the fallback) and send what waits. */
  start(limits: WelcomeLimits = FALLBACK_SEND_LIMITS): void {
    this.#bucket.setLimits(limits.burst, limits.sendsPerSec);
    this.#connected = true;
    this.pump();
  }

  /** The connection is gone: nothing is in flight any more; the next one resends it all. */
  stop(): void {
    this.#clearTimer();
    this.#connected = false;
    this.#inflight.clear();
  }

  /** Queues a new message and sends it when it may; false when the outbox is full. */
  add(item: OutboxItem): boolean {
    const items = enqueue(this.#items(), item, this.#options.outboxLimit);
    if (!items) return false;
    this.#write(items);
    this.pump();
    return true;
  }

  /** Sends a failed message again, with its original id. */
  retry(id: string): void {
    this.#write(markSending(this.#items(), id));
    this.pump();
  }

  /** Drops a message. If it was already on its way, it may still arrive. */
  discard(id: string): void {
    this.#inflight.delete(id);
    this.#write(removeItem(this.#items(), id));
  }

  /** The room was left: answers to its sends no longer concern us (its items go with the room). */
  forgetRoom(room: string): void {
    for (const item of this.#items()) {
      if (item.room === room) this.#inflight.delete(item.id);
    }
  }

  /** Fails what waits for a room we are not in; only corrupt storage leaves such items, and they would wait forever. */
  failOrphans(isRoom: (room: string) => boolean): void {
    for (const item of this.#items()) {
      if (item.state === 'sending' && !isRoom(item.room)) {
        this.#write(markFailed(this.#items(), item.id, ERROR_CODES.NOT_IN_ROOM));
      }
    }
  }

  /** The server stored the message (the ack's reducer takes it out of the outbox). */
  acked(id: string): void {
    this.#inflight.delete(id);
  }

  /** The server answered a send with an error (`retryAfterMs`: with `rate_limited`, when to send again). */
  refused(id: string, code: string, retryAfterMs?: number): void {
    this.#inflight.delete(id);
    const random = this.#options.random;
    if (code === ERROR_CODES.RATE_LIMITED) {
      // Not the message's fault: it stays 'sending' and goes out again after
      // the pause the server asked for (an older server: our own guess), like
      // every send behind it.
      const guess = () => this.#options.rateLimitRetryMs + Math.floor(random() * 500);
      this.#bucket.pause(retryAfterDelay(retryAfterMs, guess, random));
      this.pump();
      return;
    }
    if (code === ERROR_CODES.INTERNAL) {
      // The server could not store it (its database or Redis is away): nothing
      // was acked, so the same id goes out again once the server had time to
      // recover. The person sees 'Sending…', not a failure they must retry.
      this.#bucket.pause(INTERNAL_RETRY_MS + Math.floor(random() * INTERNAL_RETRY_MS));
      this.pump();
      return;
    }
    this.#write(markFailed(this.#items(), id, code));
  }

  /** Sends every 'sending' item not yet on this connection, oldest first, at the pace the server allows. */
  pump(): void {
    this.#clearTimer();
    if (!this.#connected) return;
    for (const item of this.#items()) {
      if (item.state !== 'sending' || this.#inflight.has(item.id) || !this.#options.joined(item.room))
        continue;
      if (!this.#bucket.take()) {
        this.#timer = this.#options.timers.setTimeout(() => {
          this.#timer = undefined;
          this.pump();
        }, this.#bucket.wait());
        return;
      }
      if (!this.#options.send(frameOf(item))) return;
      this.#inflight.add(item.id);
    }
  }

  #items(): OutboxItem[] {
    return this.#store.getState().outbox.items;
  }

  #write(items: OutboxItem[]): void {
    if (items !== this.#items()) this.#store.setState({ outbox: outboxSlice(items) });
  }

  #clearTimer(): void {
    if (this.#timer === undefined) return;
    this.#options.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
