/**
 * One room on this process: the connections in it, their local presence,
 * what this process's connections have been told about members, typing
 * throttles, and delivery of messages in seq order.
 *
 * Three races are closed here:
 * - A connection that is joining holds deliveries until its `joined` answer
 *   went out; then only messages newer than that answer are released.
 * - Members: every connection here starts from the same record
 *   (`announced`): its `joined.members` is taken from it when the answer is
 *   written, and every later change to it is announced to every connection.
 *   A joining connection gets no presence meanwhile (its answer already
 *   holds the change), so no connection's view can drift from the record,
 *   however late the membership directory answers.
 * - With several processes, events can arrive out of seq order (this
 *   process's own commits come back directly, others' through the bus).
 *   Delivery waits for the missing seq, and fetches it from the store if it
 *   does not come.
 *
 * The stream is of events: each seq of a room is a new message (`message`
 * frame) or a change of an older one (`update` frame), and both go through
 * the same holding, ordering and gap filling.
 */
import { LIMITS, type User } from '@tether/protocol';

import type { EncodedPage } from './member-list.js';
import type { NamePage } from './name-order.js';
import type { Frame, FrameEncoder, Peer, RoomEvent } from './ports.js';
import { Presence } from './presence.js';
import { RoomMembers } from './room-members.js';

interface Subscriber {
  user: User;
  /** Deliveries held while the `joined` answer is being prepared. */
  held: RoomEvent[] | null;
  /** Typing frames held meanwhile: they must not come before `joined` (made when needed). */
  heldEvents: Frame[] | null;
  /**
   * The `joined.seq` this connection was answered with. The answer may run
   * ahead of this room's delivery (another process committed, and the bus
   * has not brought it yet): live delivery skips what the answer held.
   */
  floor: number;
}

export interface RoomOptions {
  name: string;
  epoch: string;
  /** The room's latest seq when this object was made: delivery continues after it. */
  seq: number;
  /** The room's members (all processes) when this object was made. */
  members: readonly User[];
  graceMs: number;
  encode: FrameEncoder;
  /** A user became (or stopped being) a member through this process's connections. */
  onLocalPresence: (room: Room, user: User, present: boolean) => void;
  /** At most `limit` events after `since`: to fill a gap the bus left, or to check a late one. */
  fetchAfter: (room: string, since: number, limit: number) => Promise<RoomEvent[]>;
  /** Called when the room has neither connections nor local members left. */
  onIdle: (room: Room) => void;
  /** A message came with a seq already delivered as another message: the store went back. */
  onRewound: (room: Room) => void;
  onDelivered?: (recipients: number) => void;
}

/** How long an out-of-order event waits for the seqs before it. */
const GAP_WAIT_MS = 200;
/**
 * Delivered events remembered by seq, to tell a late duplicate (it comes
 * within the gap wait) from another event under an old seq (a store that
 * went back). An older one is checked against the store (checkLate).
 */
const RECENT = 256;

/** The event's place in the room's sequence. */
export function seqOf(event: RoomEvent): number {
  return event.kind === 'message' ? event.message.seq : event.seq;
}

/** The key of a seq filled as `gone`: the bus may still bring the change itself, which is no rewind. */
const GONE = 'gone';

/** What names an event whatever the path it came by: a message's (sender, id), a change's target. */
function keyOf(event: RoomEvent): string {
  if (event.kind === 'gone') return GONE;
  return event.kind === 'message'
    ? `${event.message.from.id}/${event.message.id}`
    : `update/${event.message.seq}`;
}

export class Room {
  readonly name: string;
  /** The lifetime of the room's history these connections follow (see `reset`). */
  epoch: string;
  /**
   * The highest seq a commit of this process got for this room. Commits of
   * one process come back from the store in order, so one at or below it
   * means the store went back (restored from an older snapshot).
   */
  ownSeq = 0;
  private readonly subscribers = new Map<Peer, Subscriber>();
  private readonly presence: Presence;
  /** Members as this process's connections have been told (see RoomMembers). */
  private readonly announced: RoomMembers;
  private readonly lastTyping = new Map<string, number>();
  /** Typing relays in the current second, for the cap of big rooms. */
  private typingSecond = 0;
  private typingInSecond = 0;
  private readonly encode: FrameEncoder;
  private lastSeq: number;
  private readonly early = new Map<number, RoomEvent>();
  /** The last RECENT delivered seqs and their (sender, id). */
  private readonly recent = new Map<number, string>();
  private gapTimer: NodeJS.Timeout | undefined;
  /** A late event is being checked against the store (see checkLate). */
  private checking = false;
  private disposed = false;

  constructor(private readonly options: RoomOptions) {
    this.name = options.name;
    this.epoch = options.epoch;
    this.encode = options.encode;
    this.lastSeq = options.seq;
    this.announced = new RoomMembers(options.name, options.members, options.encode, (frame, skipUserId) => {
      for (const [peer, subscriber] of this.subscribers) {
        if (subscriber.user.id !== skipUserId && !subscriber.held) peer.write(frame, true);
      }
    });
    this.presence = new Presence(options.graceMs, (user, state) => {
      // A user who joins here is a member for certain: record and announce it
      // now, so the `joined` answer lists them. A leave waits for the
      // directory: the user may still be in the room through another process.
      if (state === 'joined') this.applyMember(user.id, user);
      options.onLocalPresence(this, user, state === 'joined');
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
    this.subscribers.set(peer, { user, held: [], heldEvents: null, floor: 0 });
    this.presence.add(user);
  }

  /**
   * The members for a `joined` answer being written now: this process's
   * record, which every later announcement starts from.
   */
  members(): User[] {
    return this.announced.values();
  }

  /** The same, as the JSON array for the answer, in shared chunks: every member, or a big room's first page. */
  encodedMembers(): EncodedPage {
    return this.announced.encodedForJoined();
  }

  /** Past SMALL_ROOM_MAX_MEMBERS: `joined` lists a page, joins are counted, not announced. */
  get isBig(): boolean {
    return this.announced.isBig;
  }

  /** How many members the room has (all processes). */
  get memberCount(): number {
    return this.announced.count;
  }

  /** A page of the members in name order (`members` request). */
  membersPage(prefix: string, after: string | undefined, limit: number): NamePage {
    return this.announced.page(prefix, after, limit);
  }

  /**
   * The store went back and the room's history starts a new `epoch` at
   * `seq`: deliveries restart from there, and every connection here is held
   * until it is answered a new `joined` (which tells its client to drop what
   * it kept).
   */
  reset(epoch: string, seq: number): Peer[] {
    this.epoch = epoch;
    this.lastSeq = seq;
    this.ownSeq = seq;
    this.early.clear();
    this.recent.clear();
    clearTimeout(this.gapTimer);
    this.gapTimer = undefined;
    for (const subscriber of this.subscribers.values()) {
      subscriber.held ??= [];
      subscriber.floor = 0;
    }
    return [...this.subscribers.keys()];
  }

  /** The user a connection here speaks for. */
  userOf(peer: Peer): User | undefined {
    return this.subscribers.get(peer)?.user;
  }

  /**
   * A user took a new name: their connections here speak under it, and the
   * member records hold it (this process's directory entry too). Returns the
   * connections that must hear it: all of them if the user is a member.
   */
  renamed(user: User): Peer[] {
    for (const subscriber of this.subscribers.values())
      if (subscriber.user.id === user.id) subscriber.user = user;
    if (this.presence.rename(user)) this.options.onLocalPresence(this, user, true);
    return this.announced.rename(user) ? [...this.subscribers.keys()] : [];
  }

  /** The `joined` answer (up to `seq`) went out: release newer held messages. */
  release(peer: Peer, seq: number): void {
    const subscriber = this.subscribers.get(peer);
    if (!subscriber?.held) return;
    const held = subscriber.held;
    subscriber.held = null;
    subscriber.floor = seq;
    const heldEvents = subscriber.heldEvents;
    subscriber.heldEvents = null;
    if (heldEvents) for (const frame of heldEvents) peer.write(frame);
    for (const event of held) {
      if (event.kind !== 'gone' && seqOf(event) > seq) peer.write(this.frameOf(event));
    }
  }

  detach(peer: Peer, clean: boolean): void {
    const subscriber = this.subscribers.get(peer);
    if (!subscriber) return;
    this.subscribers.delete(peer);
    this.presence.remove(subscriber.user.id, clean);
    this.checkIdle();
  }

  /** Takes a committed event; delivers it, and any it unblocks, in seq order. */
  deliver(event: RoomEvent): void {
    if (this.disposed) return;
    const seq = seqOf(event);
    if (seq <= this.lastSeq) {
      // Seen already (a gap filled from the store before the bus brought it),
      // unless it is another event under a seq already delivered: then the
      // store handed that seq out again, and went back.
      if (event.kind === 'gone') return;
      const delivered = this.recent.get(seq);
      if (delivered === undefined) this.checkLate();
      else if (delivered !== keyOf(event) && delivered !== GONE) this.options.onRewound(this);
      return;
    }
    if (seq > this.lastSeq + 1) {
      this.early.set(seq, event);
      this.gapTimer ??= setTimeout(() => this.fillGap(), GAP_WAIT_MS);
      return;
    }
    this.emit(event);
    for (let next = this.early.get(this.lastSeq + 1); next; next = this.early.get(this.lastSeq + 1)) {
      this.early.delete(seqOf(next));
      this.emit(next);
    }
    if (this.early.size === 0 && this.gapTimer) {
      clearTimeout(this.gapTimer);
      this.gapTimer = undefined;
    }
  }

  /**
   * An event under a seq this room keeps no record of: older than the RECENT
   * window, or committed before the room was opened here. Most likely a late
   * copy (the bus lagged behind a gap fill, or the room opened between a
   * commit and its copy), which must not start a new epoch for everyone; but
   * a store restored from far back hands out such seqs again. The store
   * tells which: if it still holds what this room delivered last, under the
   * same seq, nothing went back. One check at a time per room.
   */
  private checkLate(): void {
    if (this.checking) return;
    this.checking = true;
    const seq = this.lastSeq;
    const expected = this.recent.get(seq);
    this.options.fetchAfter(this.name, seq - 1, 1).then(
      ([found]) => {
        this.checking = false;
        if (this.disposed) return;
        const held =
          found !== undefined &&
          seqOf(found) === seq &&
          (expected === undefined || expected === GONE || found.kind === 'gone' || keyOf(found) === expected);
        if (!held) this.options.onRewound(this);
      },
      () => {
        // The store did not answer: the next such event asks again.
        this.checking = false;
      },
    );
  }

  private frameOf(event: Exclude<RoomEvent, { kind: 'gone' }>): Frame {
    return event.kind === 'message'
      ? this.encode({ type: 'message', ...event.message })
      : this.encode({ type: 'update', room: this.name, seq: event.seq, message: event.message });
  }

  private emit(event: RoomEvent): void {
    const seq = seqOf(event);
    this.lastSeq = seq;
    this.recent.set(seq, keyOf(event));
    this.recent.delete(seq - RECENT);
    if (event.kind === 'gone') return;
    // Encode once, write the same bytes to every recipient.
    const frame = this.frameOf(event);
    let recipients = 0;
    for (const [peer, subscriber] of this.subscribers) {
      if (subscriber.held) subscriber.held.push(event);
      else if (seq > subscriber.floor) {
        peer.write(frame);
        recipients++;
      }
    }
    this.options.onDelivered?.(recipients);
  }

  private fillGap(): void {
    this.gapTimer = undefined;
    if (this.early.size > 0) this.catchUp();
  }

  /** Fetches and delivers what was committed after the last delivered seq. */
  catchUp(): void {
    if (this.disposed) return;
    this.options.fetchAfter(this.name, this.lastSeq, LIMITS.RESUME_LIMIT).then(
      (events) => {
        for (const event of events) this.deliver(event);
        // What is still early waits for the next round.
        if (this.early.size > 0) this.gapTimer ??= setTimeout(() => this.fillGap(), GAP_WAIT_MS);
      },
      () => {
        if (this.early.size > 0) this.gapTimer ??= setTimeout(() => this.fillGap(), GAP_WAIT_MS);
      },
    );
  }

  /**
   * Whether this user may send a typing signal now: one a second per user,
   * and in a big room at most BIG_ROOM_TYPING_PER_SEC a second in all.
   */
  allowTyping(userId: string, now: number): boolean {
    const last = this.lastTyping.get(userId);
    if (last !== undefined && now - last < LIMITS.TYPING_THROTTLE_MS) return false;
    if (this.announced.isBig) {
      const second = Math.floor(now / 1000);
      if (second !== this.typingSecond) {
        this.typingSecond = second;
        this.typingInSecond = 0;
      }
      if (this.typingInSecond >= LIMITS.BIG_ROOM_TYPING_PER_SEC) return false;
      this.typingInSecond++;
    }
    this.lastTyping.set(userId, now);
    return true;
  }

  /** Relays a typing signal to every connection here but the one that sent it (if it is here). */
  relayTyping(user: User, sender?: Peer): void {
    const frame = this.encode({ type: 'typing', room: this.name, user });
    for (const [peer, subscriber] of this.subscribers)
      if (peer !== sender) this.writeEvent(peer, subscriber, frame);
  }

  /**
   * Brings what this process's connections know of the members up to date
   * and announces the difference (never to the user it is about).
   */
  applyMembers(members: readonly User[]): void {
    const now = new Map(members.map((user) => [user.id, user]));
    // This process's own members are certain, whatever a late directory says.
    for (const user of this.presence.list()) if (!now.has(user.id)) now.set(user.id, user);
    for (const user of this.announced.values()) if (!now.has(user.id)) this.announced.remove(user.id);
    for (const [id, user] of now) if (!this.announced.has(id)) this.announced.add(user);
  }

  /** The same for one user: what a presence event about them needs. */
  applyMember(userId: string, found: User | null): void {
    // A member here stays one even if the directory has not recorded it yet.
    const user = found ?? this.presence.get(userId) ?? null;
    const known = this.announced.get(userId);
    if (user && !known) this.announced.add(user);
    else if (!user && known) this.announced.remove(userId);
  }

  private writeEvent(peer: Peer, subscriber: Subscriber, frame: Frame): void {
    if (subscriber.held) (subscriber.heldEvents ??= []).push(frame);
    else peer.write(frame, true);
  }

  /** True while this process has a reason to keep the room in memory. */
  get active(): boolean {
    return this.subscribers.size > 0 || this.presence.size > 0;
  }

  /** Forgets everyone without announcements (shutdown). */
  dispose(): void {
    this.disposed = true;
    clearTimeout(this.gapTimer);
    this.announced.dispose();
    this.subscribers.clear();
    this.presence.clear();
  }

  private checkIdle(): void {
    if (!this.active) this.options.onIdle(this);
  }
}
