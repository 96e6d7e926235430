/**
 * A room's members as this process's connections have been told them, and
 * how changes reach those connections.
 *
 * Every connection in the room starts from this record (its `joined` reads
 * it) and hears every later change, so no connection's view can drift from
 * it. How a change is heard depends on the room's size:
 * - A small room (up to SMALL_ROOM_MAX_MEMBERS) announces each change as a
 *   `presence` frame to every connection, as rooms always have.
 * - A big room announces only its count, as a `roster` frame at most once
 *   every rosterIntervalMs: in a room of thousands a frame to everyone per
 *   join would make filling it cost O(N²). Clients page the list with
 *   `members`.
 * A room becomes big past SMALL_ROOM_MAX_MEMBERS and small again at
 * SMALL_AGAIN_MEMBERS or fewer; then every connection gets the complete list
 * in a `roster`, and presence frames follow.
 */
import { LIMITS, type User } from '@tether/protocol';

import { MemberList, type EncodedPage } from './member-list.js';
import type { NamePage } from './name-order.js';
import type { Frame, FrameEncoder } from './ports.js';

/**
 * Least time between two `roster` frames of a room of `count` members: a
 * second, and a millisecond per member beyond that (at most 10 s). Each
 * `roster` is one frame to every member; in a connect storm into a room of
 * 5,000, one a second cost as many write calls as the storm's handshakes.
 */
export function rosterIntervalMs(count: number): number {
  return Math.min(
    LIMITS.ROSTER_MAX_INTERVAL_MS,
    Math.max(LIMITS.ROSTER_INTERVAL_MS, count * LIMITS.ROSTER_INTERVAL_PER_MEMBER_MS),
  );
}

/** Writes a frame to every connection of the room that is not joining, but those of `skipUserId`. */
export type Broadcast = (frame: Frame, skipUserId?: string) => void;

export class RoomMembers {
  private readonly list: MemberList;
  private big = false;
  private rosterTimer: NodeJS.Timeout | undefined;
  private lastRosterAt = Number.NEGATIVE_INFINITY;
  /** The count the last `roster` carried. */
  private lastRosterCount = -1;

  constructor(
    private readonly room: string,
    members: readonly User[],
    private readonly encode: FrameEncoder,
    private readonly broadcast: Broadcast,
  ) {
    this.list = new MemberList(members);
    this.big = this.list.size > LIMITS.SMALL_ROOM_MAX_MEMBERS;
  }

  get count(): number {
    return this.list.size;
  }

  /** More members than SMALL_ROOM_MAX_MEMBERS (with hysteresis): `roster` counts instead of presence. */
  get isBig(): boolean {
    return this.big;
  }

  has(userId: string): boolean {
    return this.list.has(userId);
  }

  get(userId: string): User | undefined {
    return this.list.get(userId);
  }

  values(): User[] {
    return this.list.values();
  }

  /** The members for a `joined` written now, as JSON array chunks: all of them, or a big room's first page. */
  encodedForJoined(): EncodedPage {
    return this.big
      ? this.list.encodedFirstPage(LIMITS.JOINED_MEMBERS_BIG_ROOM)
      : { chunks: this.list.encoded(), next: undefined };
  }

  page(prefix: string, after: string | undefined, limit: number): NamePage {
    return this.list.page(prefix, after, limit);
  }

  /** A user is a member from now on (or their record changed). */
  add(user: User): void {
    const known = this.list.get(user.id);
    this.list.set(user);
    if (!known) this.changed(user, 'joined');
  }

  /**
   * A member took a new name. Not announced here: one `renamed` frame per
   * connection covers every room (see ChatService.renamed). False if the
   * user is no member.
   */
  rename(user: User): boolean {
    if (!this.list.has(user.id)) return false;
    this.list.set(user);
    return true;
  }

  /** A user is no longer a member. */
  remove(userId: string): void {
    const user = this.list.delete(userId);
    if (user) this.changed(user, 'left');
  }

  private changed(user: User, state: 'joined' | 'left'): void {
    if (!this.big && this.list.size > LIMITS.SMALL_ROOM_MAX_MEMBERS) {
      this.big = true;
    } else if (this.big && this.list.size <= LIMITS.SMALL_AGAIN_MEMBERS) {
      this.big = false;
      this.cancelRoster();
      // Small again: everyone gets the complete list, then presence as usual.
      const members = this.list.values();
      this.lastRosterCount = members.length;
      this.broadcast(this.encode({ type: 'roster', room: this.room, count: members.length, members }));
      return;
    }
    if (this.big) this.scheduleRoster();
    // A joining connection is skipped by the broadcast: its `joined` is read
    // from this record when the answer is written, so it already holds this.
    else this.broadcast(this.encode({ type: 'presence', room: this.room, user, state }), user.id);
  }

  /**
   * At most one `roster` per rosterIntervalMs of the count it carries: a
   * room that grew while its timer ran waits the longer interval of its size
   * when the timer fires.
   */
  private scheduleRoster(): void {
    if (this.rosterTimer) return;
    const wait = Math.max(0, this.rosterDueAt() - performance.now());
    this.rosterTimer = setTimeout(() => {
      this.rosterTimer = undefined;
      if (!this.big || this.list.size === this.lastRosterCount) return;
      if (performance.now() < this.rosterDueAt()) {
        this.scheduleRoster();
        return;
      }
      this.lastRosterAt = performance.now();
      this.lastRosterCount = this.list.size;
      this.broadcast(this.encode({ type: 'roster', room: this.room, count: this.list.size }));
    }, wait);
  }

  /** When the next `roster` may go, for the room's size now. */
  private rosterDueAt(): number {
    return this.lastRosterAt + rosterIntervalMs(this.list.size);
  }

  private cancelRoster(): void {
    clearTimeout(this.rosterTimer);
    this.rosterTimer = undefined;
  }

  dispose(): void {
    this.cancelRoster();
  }
}
