/**
 * Who is in a room. A user is a member while any of their connections is in
 * the room, and for a grace period after the last one dropped without a clean
 * close, so a quick reconnect never shows as left-and-joined.
 */
import type { User } from '@tether/protocol';

export type PresenceChange = (user: User, state: 'joined' | 'left') => void;

interface Member {
  user: User;
  connections: number;
  grace: NodeJS.Timeout | undefined;
}

export class Presence {
  private readonly members = new Map<string, Member>();

  constructor(
    private readonly graceMs: number,
    private readonly onChange: PresenceChange,
  ) {}

  /** A connection of `user` entered the room. */
  add(user: User): void {
    const member = this.members.get(user.id);
    if (!member) {
      this.members.set(user.id, { user, connections: 1, grace: undefined });
      this.onChange(user, 'joined');
      return;
    }
    member.connections++;
    member.user = user;
    if (member.grace) {
      // Back within the grace period: nobody saw them leave.
      clearTimeout(member.grace);
      member.grace = undefined;
    }
  }

  /**
   * A connection of `user` left the room. `clean` is true for `leave` and for
   * closes 1000/1001; a dropped connection starts the grace period instead.
   */
  remove(userId: string, clean: boolean): void {
    const member = this.members.get(userId);
    if (!member || member.connections === 0) return;
    member.connections--;
    if (member.connections > 0) return;
    if (clean || this.graceMs === 0) {
      this.drop(member);
      return;
    }
    member.grace = setTimeout(() => {
      member.grace = undefined;
      if (member.connections === 0) this.drop(member);
    }, this.graceMs);
  }

  /** The member took a new name; false if they are no member here. */
  rename(user: User): boolean {
    const member = this.members.get(user.id);
    if (!member) return false;
    member.user = user;
    return true;
  }

  /** The user if they are a member here (connected, or in their grace period). */
  get(userId: string): User | undefined {
    return this.members.get(userId)?.user;
  }

  list(): User[] {
    return [...this.members.values()].map((m) => m.user);
  }

  get size(): number {
    return this.members.size;
  }

  /** Ends every grace period silently (the process is going away). */
  clear(): void {
    for (const member of this.members.values()) if (member.grace) clearTimeout(member.grace);
    this.members.clear();
  }

  private drop(member: Member): void {
    if (member.grace) clearTimeout(member.grace);
    this.members.delete(member.user.id);
    this.onChange(member.user, 'left');
  }
}
