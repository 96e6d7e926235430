/**
 * Keeps each room's member list on this process in step with every other
 * process, through the membership directory and presence events on the bus.
 *
 * - A user who becomes (or stops being) a member through this process is
 *   written to the directory, in the order the changes happened per room,
 *   then announced on the bus.
 * - A presence event from another process makes this one look that user up
 *   and apply the answer; events that arrive together share one read.
 * - Members held by a process that died expire in the directory without an
 *   event; a regular re-read of every room notices them within the grace
 *   period.
 */
import type { User } from '@tether/protocol';
import type { Logger } from 'pino';

import type { Bus, MembershipDirectory } from './ports.js';
import type { Room } from './room.js';

/** The rooms this process holds, as the sync needs to see them. */
export interface RoomLookup {
  get(name: string): Room | undefined;
  /** The room is being opened (its members are being read). */
  opening(name: string): Promise<unknown> | undefined;
  all(): Iterable<Room>;
}

const noop = (): void => undefined;

/** How long presence events of a big room gather before one read looks them up. */
const BIG_ROOM_LOOKUP_MS = 250;

interface FreshRead {
  /** Once started, a later join needs a read of its own. */
  started: boolean;
  done: Promise<void>;
}

export class MembershipSync {
  /** Per room: membership writes, in the order the changes happened. */
  private readonly writes = new Map<string, Promise<void>>();
  /** Per room: a members re-read is running (value false) or another is wanted (true). */
  private readonly resyncs = new Map<string, boolean>();
  /** Per room: member lookups after presence events, in order. */
  private readonly rechecks = new Map<string, Promise<void>>();
  /** Per room: users of presence events waiting for the next lookup. */
  private readonly waiting = new Map<string, Set<string>>();
  /** Per room held: how many membership changes were made through this process. */
  private readonly localChanges = new WeakMap<Room, number>();
  /** Per room: the directory read the next `joined` answers wait for. */
  private readonly freshReads = new Map<string, FreshRead>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly rooms: RoomLookup,
    private readonly directory: MembershipDirectory,
    private readonly bus: Bus,
    private readonly log: Logger,
    presenceGraceMs: number,
  ) {
    this.timer = setInterval(() => this.resyncAll(), Math.max(250, Math.floor(presenceGraceMs / 4)));
    this.timer.unref();
  }

  /** A user became (or stopped being) a member through this process: record it, then tell every process. */
  recordLocal(held: Room, user: User, present: boolean): void {
    const room = held.name;
    this.localChanges.set(held, (this.localChanges.get(held) ?? 0) + 1);
    const previous = this.writes.get(room) ?? Promise.resolve();
    const write = previous
      .then(() => this.directory.set(room, user, present))
      .then(
        () => {
          this.bus.publish({ kind: 'presence', room, userId: user.id });
          // This process applies the directory's answer the same way: a leave
          // here is announced only if no other process still holds the user.
          // (A join here is in this process's record already; with no other
          // process, a lookup would only confirm it.)
          if (!present || this.directory.shared) this.onPresence(room, user.id);
        },
        (error: unknown) => {
          this.log.warn({ err: error, room }, 'could not record membership');
        },
      );
    this.writes.set(room, write);
    void write.finally(() => {
      if (this.writes.get(room) === write) this.writes.delete(room);
    });
  }

  /**
   * The room's members from the directory, once this process's own pending
   * writes for it are in (a user who just left here must not be read back as
   * a member).
   */
  readMembers(room: string): Promise<User[]> {
    return (this.writes.get(room) ?? Promise.resolve()).then(() => this.directory.members(room));
  }

  /**
   * Resolves once this process's record of `room` holds everyone whose own
   * `joined` was sent before this call, whichever process they joined
   * through: this process's membership writes for the room are in, and, when
   * other processes share the directory, a read of it that started after
   * those writes has been applied. A `joined` answer waits for it. Joins that
   * arrive while a read is waiting to start share it, so a connect storm
   * costs a read per round trip, not per join; a big room's `joined` lists
   * only a page and the count, and waits only for the writes.
   */
  settled(room: Room): Promise<void> {
    // One process: its record is the directory, and the joiner is in it already.
    if (!this.directory.shared) return Promise.resolve();
    const writes = this.writes.get(room.name) ?? Promise.resolve();
    if (room.isBig) return writes;
    const queued = this.freshReads.get(room.name);
    if (queued && !queued.started) return queued.done;
    const read: FreshRead = { started: false, done: Promise.resolve() };
    let changesBefore = 0;
    // In the room's queue of lookups: directory answers apply in the order
    // they were asked, so an older answer never undoes a newer one.
    const previous = this.rechecks.get(room.name) ?? Promise.resolve();
    read.done = Promise.all([writes, previous, queued?.done])
      .then(() => {
        read.started = true;
        changesBefore = this.localChanges.get(room) ?? 0;
        return this.directory.members(room.name);
      })
      .then(
        (members) => {
          // A change made here meanwhile is not in this answer: applying it
          // would undo that change until the change's own lookup redid it.
          if (this.rooms.get(room.name) !== room || this.localChanges.get(room) !== changesBefore) return;
          room.applyMembers(members);
        },
        (error: unknown) => {
          // The answer goes out with what this process holds: late, not wrong.
          this.log.warn({ err: error, room: room.name }, 'could not read members');
        },
      )
      .finally(() => {
        if (this.freshReads.get(room.name) === read) this.freshReads.delete(room.name);
      });
    this.rechecks.set(room.name, read.done);
    void read.done.finally(() => {
      if (this.rechecks.get(room.name) === read.done) this.rechecks.delete(room.name);
    });
    this.freshReads.set(room.name, read);
    return read.done;
  }

  /** Another process says a user's membership of `room` may have changed. */
  onPresence(room: string, userId: string): void {
    // Also for a room still being opened: its members read may predate this.
    if (this.rooms.get(room) || this.rooms.opening(room)) this.recheck(room, userId);
  }

  /** Re-reads every room's members (after the bus may have lost events, and regularly). */
  resyncAll(): void {
    for (const room of this.rooms.all()) this.resync(room);
  }

  /** Re-reads a room's members and announces the difference; one read at a time per room. */
  private resync(room: Room): void {
    if (this.resyncs.has(room.name)) {
      this.resyncs.set(room.name, true);
      return;
    }
    this.resyncs.set(room.name, false);
    this.directory
      .members(room.name)
      .then(
        (members) => {
          if (this.rooms.get(room.name) === room) room.applyMembers(members);
        },
        (error: unknown) => {
          this.log.warn({ err: error, room: room.name }, 'could not read members');
        },
      )
      .finally(() => {
        const again = this.resyncs.get(room.name) === true;
        this.resyncs.delete(room.name);
        if (again) this.resync(room);
      });
  }

  /**
   * Looks up the users of presence events. Events that arrive in the same
   * turn of the event loop (the bus hands over what one socket read
   * brought), or while a lookup runs, share one read of the room: the
   * directory answers a room at a time, so a read per event would make a
   * room that N people join cost O(N²) across processes. A small room waits
   * no longer (a wait would delay every join's presence by it); a big room,
   * whose members hear only a count at most once a second, gathers events
   * for BIG_ROOM_LOOKUP_MS, so that filling it with thousands costs a read
   * of it every quarter second, not one per turn. Lookups of one room run
   * one after another, so answers apply in event order.
   */
  private recheck(name: string, userId: string): void {
    const waiting = this.waiting.get(name);
    if (waiting) {
      waiting.add(userId);
      return;
    }
    const users = new Set([userId]);
    this.waiting.set(name, users);
    // After the previous lookup, or after the room's opening read of members.
    const previous =
      this.rechecks.get(name) ?? this.rooms.opening(name)?.then(noop, noop) ?? Promise.resolve();
    const next = previous
      .then(
        () =>
          new Promise<void>((resolve) => {
            if (this.rooms.get(name)?.isBig) setTimeout(resolve, BIG_ROOM_LOOKUP_MS);
            else setImmediate(resolve);
          }),
      )
      .then(() => {
        // Events from here on go to the next lookup: this read may predate them.
        this.waiting.delete(name);
        return this.directory.members(name);
      })
      .then(
        (members) => {
          // The answer is the directory's state now: right for whichever Room holds the name.
          const room = this.rooms.get(name);
          if (!room) return;
          const found = new Map(members.map((user) => [user.id, user]));
          for (const id of users) room.applyMember(id, found.get(id) ?? null);
        },
        (error: unknown) => {
          this.waiting.delete(name);
          this.log.warn({ err: error, room: name }, 'could not read members');
        },
      );
    this.rechecks.set(name, next);
    void next.finally(() => {
      if (this.rechecks.get(name) === next) this.rechecks.delete(name);
    });
  }

  /** Stops re-reading; resolves when the membership writes under way are in (at most `withinMs`). */
  async stop(withinMs: number): Promise<void> {
    clearInterval(this.timer);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(this.writes.values()),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, withinMs))),
    ]);
    clearTimeout(timer);
  }
}
