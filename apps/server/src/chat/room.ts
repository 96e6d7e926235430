/**
 * One room on this process: the connections in it, their presence, typing
 * throttles, and delivery of messages in seq order.
 *
 * A connection that is joining buffers deliveries until its `joined` answer
 * has gone out; then only messages newer than that answer are released. This
 * closes the race between reading history and receiving live messages.
 */
import { LIMITS, type Message, type User } from '@tether/protocol';

import type { Frame, FrameEncoder, Peer } from './peer.js';
import { Presence } from './presence.js';

interface Subscriber {
  user: User;
  /** Deliveries held while the `joined` answer is being prepared. */
  held: Message[] | null;
}

export interface RoomOptions {
  name: string;
  epoch: string;
  graceMs: number;
  encode: FrameEncoder;
  /** Called when the room has neither connections nor members left. */
  onIdle: (room: Room) => void;
  onDelivered?: (recipients: number) => void;
}

export class Room {
  readonly name: string;
  readonly epoch: string;
  private readonly subscribers = new Map<Peer, Subscriber>();
  private readonly presence: Presence;
  private readonly lastTyping = new Map<string, number>();
  private readonly encode: FrameEncoder;

  constructor(private readonly options: RoomOptions) {
    this.name = options.name;
    this.epoch = options.epoch;
    this.encode = options.encode;
    this.presence = new Presence(options.graceMs, (user, state) => {
      this.toOthersThan(user.id, this.encode({ type: 'presence', room: this.name, user, state }));
      if (state === 'left') this.lastTyping.delete(user.id);
      this.checkIdle();
    });
  }

  has(peer: Peer): boolean {
    return this.subscribers.has(peer);
  }

  /** Adds a connection; its deliveries are held until `release`. */
  attach(peer: Peer, user: User): void {
    const existing = this.subscribers.get(peer);
    if (existing) {
      existing.held ??= [];
      return;
    }
    this.subscribers.set(peer, { user, held: [] });
    this.presence.add(user);
  }

  /** The `joined` answer (up to `seq`) went out: release newer held messages. */
  release(peer: Peer, seq: number): void {
    const subscriber = this.subscribers.get(peer);
    if (!subscriber?.held) return;
    const held = subscriber.held;
    subscriber.held = null;
    for (const message of held) {
      if (message.seq > seq) peer.write(this.encode({ type: 'message', ...message }));
    }
  }

  detach(peer: Peer, clean: boolean): void {
    const subscriber = this.subscribers.get(peer);
    if (!subscriber) return;
    this.subscribers.delete(peer);
    this.presence.remove(subscriber.user.id, clean);
    this.checkIdle();
  }

  /** Sends a committed message to every connection in the room. */
  deliver(message: Message): void {
    // Encode once, write the same bytes to every recipient.
    const frame = this.encode({ type: 'message', ...message });
    let recipients = 0;
    for (const [peer, subscriber] of this.subscribers) {
      if (subscriber.held) subscriber.held.push(message);
      else {
        peer.write(frame);
        recipients++;
      }
    }
    this.options.onDelivered?.(recipients);
  }

  /** Relays a typing signal unless this user sent one less than a second ago. */
  typing(from: Peer, user: User, now: number): void {
    const last = this.lastTyping.get(user.id);
    if (last !== undefined && now - last < LIMITS.TYPING_THROTTLE_MS) return;
    this.lastTyping.set(user.id, now);
    const frame = this.encode({ type: 'typing', room: this.name, user });
    for (const peer of this.subscribers.keys()) if (peer !== from) peer.write(frame);
  }

  members(): User[] {
    return this.presence.list();
  }

  get memberCount(): number {
    return this.presence.size;
  }

  get connectionCount(): number {
    return this.subscribers.size;
  }

  /** Forgets everyone without announcements (shutdown). */
  dispose(): void {
    this.subscribers.clear();
    this.presence.clear();
  }

  private toOthersThan(userId: string, frame: Frame): void {
    for (const [peer, subscriber] of this.subscribers) if (subscriber.user.id !== userId) peer.write(frame);
  }

  private checkIdle(): void {
    if (this.subscribers.size === 0 && this.presence.size === 0) this.options.onIdle(this);
  }
}
