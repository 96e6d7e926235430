/**
 * Typing signals (docs/protocol.md, "Presence and typing"), both ways: ours go out
 * at most once per room per TYPING_SEND_INTERVAL_MS and are never queued;
 * theirs show until TYPING_DISPLAY_MS after the last one, which a timer ends.
 */
import type { TypingEvent } from '@tether/protocol';
import { LIMITS } from '@tether/protocol/constants';

import { nextTypingExpiry, typingExpired, typingReceived } from '../state/reducers';
import type { ChatStateStore } from '../state/store';
import type { Clock, TimerHandle, Timers } from './env';

/** Our own `typing` signals go out at most this often per room. */
export const TYPING_SEND_INTERVAL_MS = 2000;

export class Typing {
  readonly #store: ChatStateStore;
  readonly #clock: Clock;
  readonly #timers: Timers;
  /** When our last signal went out, per room, on the current connection. */
  readonly #sentAt = new Map<string, number>();
  #expiryTimer: TimerHandle | undefined;

  constructor(store: ChatStateStore, clock: Clock, timers: Timers) {
    this.#store = store;
    this.#clock = clock;
    this.#timers = timers;
  }

  /** Sends our signal through `send` unless one went out to the room within the interval. */
  signal(room: string, send: () => boolean): void {
    const now = this.#clock.now();
    const last = this.#sentAt.get(room);
    if (last !== undefined && now - last < TYPING_SEND_INTERVAL_MS) return;
    if (send()) this.#sentAt.set(room, now);
  }

  /** Someone typed: show it, and hide it again when it runs out. */
  received(frame: TypingEvent, selfId: string | null): void {
    const until = this.#clock.now() + LIMITS.TYPING_DISPLAY_MS;
    const patch = typingReceived(this.#store.getState(), frame, selfId, until);
    if (patch) this.#store.setState(patch);
    this.#scheduleExpiry();
  }

  /** The room was left, or (without a room) the connection ended: our next signal goes out at once. */
  forget(room?: string): void {
    if (room === undefined) this.#sentAt.clear();
    else this.#sentAt.delete(room);
  }

  /** No more expiries (stop, sign-out). */
  stop(): void {
    if (this.#expiryTimer === undefined) return;
    this.#timers.clearTimeout(this.#expiryTimer);
    this.#expiryTimer = undefined;
  }

  #scheduleExpiry(): void {
    this.stop();
    const next = nextTypingExpiry(this.#store.getState());
    if (next === null) return;
    this.#expiryTimer = this.#timers.setTimeout(
      () => {
        this.#expiryTimer = undefined;
        const patch = typingExpired(this.#store.getState(), this.#clock.now());
        if (patch) this.#store.setState(patch);
        this.#scheduleExpiry();
      },
      Math.max(0, next - this.#clock.now()),
    );
  }
}
