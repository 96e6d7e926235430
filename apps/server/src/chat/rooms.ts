/**
 * The rooms this process holds in memory, and the routing of everything
 * that happens in them: this process's own commits and typing go straight
 * to its rooms (and then on the bus for the others); events from other
 * processes arrive through the bus.
 *
 * A room is opened on its first join here and dropped when it has neither
 * connections nor members in their grace period; its history stays in the
 * store.
 */
import { LIMITS, type Message, type User } from '@tether/protocol';
import type { Logger } from 'pino';

import type { Metrics } from '../metrics.js';
import { MembershipSync, type RoomLookup } from './membership-sync.js';
import type {
  Bus,
  BusEvent,
  ChatSettings,
  ChatStore,
  Clock,
  FrameEncoder,
  MembershipDirectory,
  Peer,
} from './ports.js';
import { Room } from './room.js';

export interface RoomRegistryDeps {
  store: ChatStore;
  bus: Bus;
  membership: MembershipDirectory;
  encode: FrameEncoder;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  settings: ChatSettings;
}

export class RoomRegistry implements RoomLookup {
  private readonly rooms = new Map<string, Room>();
  /** Rooms being opened, so two concurrent joins share one `Room`. */
  private readonly pending = new Map<string, Promise<Room>>();
  private readonly members: MembershipSync;

  constructor(private readonly deps: RoomRegistryDeps) {
    this.members = new MembershipSync(
      this,
      deps.membership,
      deps.bus,
      deps.log,
      deps.settings.presenceGraceMs,
    );
    deps.bus.subscribe({
      event: (event) => this.fromBus(event),
      missed: () => this.catchUp(),
    });
  }

  get(name: string): Room | undefined {
    return this.rooms.get(name);
  }

  opening(name: string): Promise<Room> | undefined {
    return this.pending.get(name);
  }

  all(): Iterable<Room> {
    return this.rooms.values();
  }

  /**
   * The room, opened if this process does not hold it yet. A room that went
   * idle while it was being opened has been dropped: it is opened again.
   */
  async open(name: string): Promise<Room> {
    let room = await this.openOnce(name);
    for (let tries = 0; this.rooms.get(name) !== room && tries < 3; tries++) {
      room = await this.openOnce(name);
    }
    return room;
  }

  private openOnce(name: string): Promise<Room> {
    const existing = this.rooms.get(name);
    if (existing) return Promise.resolve(existing);
    let opening = this.pending.get(name);
    if (!opening) {
      const { store, settings, encode, metrics } = this.deps;
      opening = Promise.all([store.openRoom(name, this.deps.clock.now()), this.members.readMembers(name)])
        .then(([stored, members]) => {
          const room =
            this.rooms.get(name) ??
            new Room({
              name,
              epoch: stored.epoch,
              seq: stored.seq,
              members,
              graceMs: settings.presenceGraceMs,
              encode,
              onLocalPresence: (r, user, present) => this.members.recordLocal(r.name, user, present),
              fetchAfter: (room, since) =>
                store.after(room, since, LIMITS.RESUME_LIMIT).then((page) => page.messages),
              onIdle: (idle) => {
                if (this.rooms.get(idle.name) === idle) this.rooms.delete(idle.name);
                idle.dispose();
                metrics.rooms.set(this.rooms.size);
              },
              onDelivered: (n) => metrics.messagesOut.inc(n),
            });
          this.rooms.set(name, room);
          metrics.rooms.set(this.rooms.size);
          return room;
        })
        .finally(() => this.pending.delete(name));
      this.pending.set(name, opening);
    }
    return opening;
  }

  /** A message this process committed: to its own connections now, then to the other processes. */
  committed(message: Message): void {
    this.rooms.get(message.room)?.deliver(message);
    this.deps.bus.publish({ kind: 'message', message });
  }

  /** A typing signal from `sender` (already throttled): to the room here but the sender, and to the other processes. */
  typing(room: Room, user: User, sender: Peer): void {
    room.relayTyping(user, sender);
    this.deps.bus.publish({ kind: 'typing', room: room.name, user });
  }

  private fromBus(event: BusEvent): void {
    switch (event.kind) {
      case 'message':
        this.rooms.get(event.message.room)?.deliver(event.message);
        return;
      case 'typing':
        this.rooms.get(event.room)?.relayTyping(event.user);
        return;
      case 'presence':
        this.members.onPresence(event.room, event.userId);
        return;
      default: {
        const unreachable: never = event;
        throw new Error(`unhandled bus event ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /**
   * The bus may have dropped events (its connection was lost): fetch what
   * was committed meanwhile and re-read members, for every room here.
   */
  catchUp(): void {
    for (const room of this.rooms.values()) room.catchUp();
    this.members.resyncAll();
  }

  /** Stops timers and forgets rooms without announcing anyone (process exit). */
  shutdown(): void {
    this.members.stop();
    for (const room of this.rooms.values()) room.dispose();
    this.rooms.clear();
  }
}
