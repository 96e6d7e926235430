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

import { fitMessages } from './pages.js';
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
  JoinedEncoder,
  MembershipDirectory,
  LiveEvent,
  MessagePage,
  Peer,
} from './ports.js';
import { Room, seqOf } from './room.js';

export interface RoomRegistryDeps {
  store: ChatStore;
  bus: Bus;
  membership: MembershipDirectory;
  encode: FrameEncoder;
  encodeJoined: JoinedEncoder;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  settings: ChatSettings;
  /** Another process says a user took a new name. */
  onRenamed: (user: User) => void;
}

/** How long a shutdown waits for membership writes under way. */
const SHUTDOWN_WRITES_MS = 1000;

const NO_MESSAGES: MessagePage = { messages: [], hasMore: false };

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
              onLocalPresence: (r, user, present) => this.members.recordLocal(r, user, present),
              fetchAfter: (room, since, limit) => store.events(room, since, limit),
              onIdle: (idle) => {
                if (this.rooms.get(idle.name) === idle) this.rooms.delete(idle.name);
                idle.dispose();
                metrics.rooms.set(this.rooms.size);
              },
              onDelivered: (n) => metrics.messagesOut.inc(n),
              onRewound: (r) => {
                this.rewound(r.name).catch((error: unknown) => {
                  this.deps.log.error({ err: error, room: r.name }, 'could not start a new epoch');
                });
              },
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
    this.committedEvent({ kind: 'message', message });
  }

  /** A change this process committed (event `seq`): the same way as a message. */
  changed(seq: number, message: Message): void {
    this.committedEvent({ kind: 'update', seq, message });
  }

  private committedEvent(event: LiveEvent): void {
    const room = this.rooms.get(event.message.room);
    const seq = seqOf(event);
    if (room) {
      // A seq this process already got from the store: the store went back.
      if (seq <= room.ownSeq) {
        this.rewound(room.name).catch((error: unknown) => {
          this.deps.log.error({ err: error, room: room.name }, 'could not start a new epoch');
        });
        return;
      }
      room.ownSeq = seq;
      room.deliver(event);
    }
    this.deps.bus.publish(
      event.kind === 'message'
        ? { kind: 'message', message: event.message }
        : { kind: 'update', seq: event.seq, message: event.message },
    );
  }

  /**
   * Attaches the connection and answers `joined`: the history after `since`
   * (a resume) or the latest, what fits a page, then live delivery from there.
   * False when the connection left meanwhile.
   */
  async answerJoin(room: Room, peer: Peer, user: User, resumeFrom: number | undefined): Promise<boolean> {
    const { store, clock, encodeJoined } = this.deps;
    // Attach before reading history: what commits meanwhile is held, not lost.
    room.attach(peer, user);
    // Read the room's seq before the page: whatever commits after this read is
    // either in the page or held and released after `joined`, never both.
    const { seq: seqBefore } = await store.openRoom(room.name, clock.now());
    // A `since` beyond the room's seq: the client holds what the store does
    // not (the store went back, or the client is wrong). It gets the latest
    // messages, as on a first join, and its `joined.seq` below its `since`
    // tells it to drop its copy. (Only the server's own evidence starts a new
    // epoch: a client's claim would let anyone make a room reload for all.)
    const since = resumeFrom !== undefined && resumeFrom <= seqBefore ? resumeFrom : undefined;
    // Nothing to read when the room had no message, or none after `since`
    // (a connect storm into a new room, a client already up to date).
    const from = since ?? 0;
    const page =
      from >= seqBefore
        ? NO_MESSAGES
        : fitMessages(
            since === undefined
              ? await store.latest(room.name, LIMITS.JOIN_HISTORY)
              : await store.after(room.name, since, LIMITS.RESUME_LIMIT),
            LIMITS.MAX_PAGE_BYTES,
          );
    // Everyone whose `joined` came before this one is in the members below,
    // whichever process they joined through (and this joiner is in the
    // directory before its answer goes out).
    await this.members.settled(room);
    if (!room.has(peer)) return false;
    // Every event up to `seq` committed before the page was read (seqs commit
    // in order), so it is reflected in the page, or changed a message the page
    // left out (the client pages back for it): live delivery continues strictly
    // after it, and nothing arrives both ways. A change is an event too: a
    // page message's `rev` can be past `seqBefore` and past the last seq.
    let seq = seqBefore;
    for (const message of page.messages) seq = Math.max(seq, message.seq, message.rev ?? message.seq);
    // The members are taken now, in the same turn as `release`: see Room.
    const members = room.encodedMembers();
    const joined = {
      room: room.name,
      epoch: room.epoch,
      seq,
      memberCount: room.memberCount,
      ...(members.next === undefined ? {} : { membersNext: members.next }),
      messages: page.messages,
      hasMore: page.hasMore,
    };
    peer.write(encodeJoined(joined, members.chunks));
    room.release(peer, seq);
    return true;
  }

  /** Rooms being given a new epoch, so a burst of detections makes one. */
  private readonly resetting = new Map<string, Promise<void>>();

  /**
   * The store's seq of a room went back under the same epoch (restored from
   * an older snapshot: seqs it handed out would be handed out again, and
   * reach no one who had them). The room starts a new epoch; every
   * connection here gets a new `joined`, and so do those of the other
   * processes.
   */
  rewound(name: string): Promise<void> {
    let reset = this.resetting.get(name);
    if (!reset) {
      this.deps.log.warn({ room: name }, "the store's seq went back: the room starts a new epoch");
      reset = this.deps.store
        .newEpoch(name)
        .then(() => {
          this.deps.bus.publish({ kind: 'reset', room: name });
          return this.reload(name);
        })
        .finally(() => this.resetting.delete(name));
      this.resetting.set(name, reset);
    }
    return reset;
  }

  /** Answers every connection in the room a new `joined` from the store's state. */
  private async reload(name: string): Promise<void> {
    const room = this.rooms.get(name);
    if (!room) return;
    const state = await this.deps.store.openRoom(name, this.deps.clock.now());
    const peers = room.reset(state.epoch, state.seq);
    await Promise.all(
      peers.map(async (peer) => {
        const user = room.userOf(peer);
        if (user) await this.answerJoin(room, peer, user, undefined);
      }),
    );
  }

  /** A user took a new name: every room here updates its records; returns the connections that must hear it. */
  renamed(user: User): Set<Peer> {
    const peers = new Set<Peer>();
    for (const room of this.rooms.values()) for (const peer of room.renamed(user)) peers.add(peer);
    return peers;
  }

  /** A typing signal from `sender` (already throttled): to the room here but the sender, and to the other processes. */
  typing(room: Room, user: User, sender: Peer): void {
    room.relayTyping(user, sender);
    this.deps.bus.publish({ kind: 'typing', room: room.name, user });
  }

  private fromBus(event: BusEvent): void {
    switch (event.kind) {
      case 'message':
        this.rooms.get(event.message.room)?.deliver({ kind: 'message', message: event.message });
        return;
      case 'update':
        this.rooms
          .get(event.message.room)
          ?.deliver({ kind: 'update', seq: event.seq, message: event.message });
        return;
      case 'typing':
        this.rooms.get(event.room)?.relayTyping(event.user);
        return;
      case 'presence':
        this.members.onPresence(event.room, event.userId);
        return;
      case 'renamed':
        this.deps.onRenamed(event.user);
        return;
      case 'reset':
        void this.reload(event.room).catch((error: unknown) => {
          this.deps.log.warn({ err: error, room: event.room }, 'could not reload a room with a new epoch');
        });
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

  /**
   * Stops timers and forgets rooms without announcing anyone (process exit).
   * A leave just made is in the membership directory before this resolves,
   * so other processes (and the next start) do not count a member who left.
   */
  async shutdown(): Promise<void> {
    for (const room of this.rooms.values()) room.dispose();
    this.rooms.clear();
    await this.members.stop(SHUTDOWN_WRITES_MS);
  }
}
