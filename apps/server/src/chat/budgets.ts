/**
 * What each kind of request may spend, and who spends it (docs/protocol.md,
 * "Budgets"). Every budget is a token bucket kept in this process's memory,
 * swept of full buckets so memory follows activity.
 */
import type { ChatSettings } from './ports.js';
import { RateLimiter } from './rate-limit.js';

const HOUR_S = 3600;

export class Budgets {
  /** `send`, per user. */
  readonly sends: RateLimiter;
  /** `join` and `leave`, per user. */
  readonly joins: RateLimiter;
  /** `history`, `rooms`, `members`, per user. */
  readonly reads: RateLimiter;
  /** Users created by a `hello` without a token, per client address. */
  readonly newUsers: RateLimiter;
  /** Rooms created by a `join`, per user and per client address. */
  readonly newRoomsByUser: RateLimiter;
  readonly newRoomsByAddress: RateLimiter;
  /** Renames (a `hello` with a token and a new name), per user: each is announced to every room the user is in. */
  readonly renames: RateLimiter;

  constructor(settings: ChatSettings) {
    this.sends = new RateLimiter(settings.rateLimitPerSec, settings.rateLimitBurst);
    this.joins = new RateLimiter(settings.joinLimitPerSec, settings.joinLimitBurst);
    this.reads = new RateLimiter(settings.readLimitPerSec, settings.readLimitBurst);
    // "N an hour": all N at once if need be, refilled over the hour.
    this.newUsers = new RateLimiter(settings.newUsersPerHour / HOUR_S, settings.newUsersPerHour);
    this.newRoomsByUser = new RateLimiter(settings.newRoomsPerHour / HOUR_S, settings.newRoomsPerHour);
    this.newRoomsByAddress = new RateLimiter(settings.newRoomsPerHour / HOUR_S, settings.newRoomsPerHour);
    this.renames = new RateLimiter(settings.renamesPerHour / HOUR_S, settings.renamesPerHour);
  }

  /** Takes one room creation from both the user's and the address's budget, or neither. */
  takeNewRoom(userId: string, address: string, now: number): boolean {
    const byUser = this.newRoomsByUser.bucket(userId, now);
    if (!byUser.take(now)) return false;
    if (this.newRoomsByAddress.bucket(address, now).take(now)) return true;
    byUser.refund();
    return false;
  }

  /** How long until a room can be created again by this user from this address. */
  newRoomWaitMs(userId: string, address: string, now: number): number {
    return Math.max(this.newRoomsByUser.waitMs(userId, now), this.newRoomsByAddress.waitMs(address, now));
  }

  /** Forgets full buckets. */
  sweep(now: number): void {
    for (const limiter of [
      this.sends,
      this.joins,
      this.reads,
      this.newUsers,
      this.newRoomsByUser,
      this.newRoomsByAddress,
      this.renames,
    ]) {
      limiter.sweep(now);
    }
  }
}
