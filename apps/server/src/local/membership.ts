/** Room membership for a single process: a map, since no other process holds members. */
import type { User } from '@tether/protocol';

import type { MembershipDirectory } from '../chat/ports.js';

export class LocalMembership implements MembershipDirectory {
  /** One process: its rooms hold every member already. */
  readonly shared = false;
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

  counts(rooms: readonly string[]): Promise<Map<string, number>> {
    return Promise.resolve(new Map(rooms.map((room) => [room, this.rooms.get(room)?.size ?? 0])));
  }

  close(): Promise<void> {
    this.rooms.clear();
    return Promise.resolve();
  }
}
