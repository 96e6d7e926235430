/**
 * Who is in a room across every server process. Each process records the
 * users it holds as members (connected, or inside their grace period); a
 * room's members are the union. In one process that is a map; with Redis it
 * is a sorted set with expiring entries, so a crashed process's members leave
 * on their own.
 */
import type { User } from '@tether/protocol';

export interface MembershipDirectory {
  /** This process holds `user` as a member of `room` from now on (or no longer). */
  set(room: string, user: User, present: boolean): Promise<void>;
  /** The room's members on every process, each user once. */
  members(room: string): Promise<User[]>;
  /** One user as a member of the room (on any process), or null. */
  member(room: string, userId: string): Promise<User | null>;
  /** Member counts of several rooms. */
  counts(rooms: readonly string[]): Promise<Map<string, number>>;
  close(): Promise<void>;
}

/** Membership for a single process. */
export class LocalMembership implements MembershipDirectory {
  private readonly rooms = new Map<string, Map<string, User>>();

  set(room: string, user: User, present: boolean): Promise<void> {
    let members = this.rooms.get(room);
    if (present) {
      if (!members) this.rooms.set(room, (members = new Map<string, User>()));
      members.set(user.id, user);
    } else if (members) {
      members.delete(user.id);
      if (members.size === 0) this.rooms.delete(room);
    }
    return Promise.resolve();
  }

  members(room: string): Promise<User[]> {
    return Promise.resolve([...(this.rooms.get(room)?.values() ?? [])]);
  }

  member(room: string, userId: string): Promise<User | null> {
    return Promise.resolve(this.rooms.get(room)?.get(userId) ?? null);
  }

  counts(rooms: readonly string[]): Promise<Map<string, number>> {
    return Promise.resolve(new Map(rooms.map((room) => [room, this.rooms.get(room)?.size ?? 0])));
  }

  close(): Promise<void> {
    this.rooms.clear();
    return Promise.resolve();
  }
}
