/**
 * The chat: sessions, rooms, messages, presence, typing and rate limits, as
 * PROTOCOL.md describes them. It sees connections only as `Peer`s and storage
 * only as a `ChatStore`, so neither the socket library nor the database
 * leaks in here, and a Redis store or bus slots in without changes.
 */
import {
  CLOSE_CODES,
  ERROR_CODES,
  LIMITS,
  PROTOCOL_VERSION,
  checkName,
  checkText,
  isValidRoomName,
  parseClientMessage,
  type ClientMessage,
  type ClientMessageOf,
  type ErrorCode,
  type ServerMessage,
  type User,
} from '@tether/protocol';
import type { Logger } from 'pino';

import type { Bus, BusEvent } from '../bus/types.js';
import type { Metrics } from '../metrics.js';
import type { ChatStore } from '../store/types.js';
import type { Clock } from './clock.js';
import type { MembershipDirectory } from './membership.js';
import type { FrameEncoder, JoinedEncoder, Peer } from './peer.js';
import { RateLimiter } from './rate-limit.js';
import { Room } from './room.js';
import { hashToken, newToken } from './tokens.js';
import { WindowCounter } from './window-counter.js';

export interface ChatSettings {
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  helloTimeoutMs: number;
  presenceGraceMs: number;
  tokenTtlDays: number;
  rateLimitPerSec: number;
  rateLimitBurst: number;
}

export interface ChatDeps {
  store: ChatStore;
  bus: Bus;
  membership: MembershipDirectory;
  encode: FrameEncoder;
  encodeJoined: JoinedEncoder;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  settings: ChatSettings;
}

/** The chat's view of one connection. */
export interface Session {
  /** Hands one text frame from the client to the chat. */
  receive(raw: string): void;
  /** The connection is gone; `clean` for closes 1000/1001. */
  end(clean: boolean): void;
}

/**
 * One connection's session. A class, not an object of closures: a server
 * holds thousands of idle connections, and every closure and context per
 * connection shows in its memory.
 */
class SessionState implements Session {
  user: User | null = null;
  /**
   * Rooms joined on this connection (at most MAX_ROOMS_PER_CONNECTION, 20: a
   * list is enough). Replaced, never grown: a `push` would reserve room for
   * 17 names in every connection's array.
   */
  rooms: readonly string[] = [];
  /** An async request is in flight; later ones wait in `backlog`. */
  busy = false;
  /** Requests behind the one in flight; made when first needed. */
  backlog: Task[] | undefined = undefined;
  /** Abuse counters, made on the first event (most connections never need them). */
  badRequests: WindowCounter | undefined = undefined;
  rateLimited: WindowCounter | undefined = undefined;
  /** Until the `hello`; dropped then, so an idle connection keeps no timer. */
  helloTimer: NodeJS.Timeout | undefined = undefined;
  /** The hello timer fired while a `hello` was in flight: its answer decides. */
  helloOverdue = false;
  ended = false;

  constructor(
    private readonly chat: ChatService,
    readonly peer: Peer,
  ) {}

  receive(raw: string): void {
    this.chat.receiveFrom(this, raw);
  }

  end(clean: boolean): void {
    this.chat.endSession(this, clean);
  }
}

const DAY_MS = 86_400_000;

type Task = () => void | Promise<void>;

/**
 * Requests waiting behind an async one. Past this a client is flooding
 * faster than the store answers: close with 1008 rather than buffer forever.
 */
const MAX_BACKLOG = 1000;

const noop = (): void => undefined;

interface ErrorContext {
  room?: string | undefined;
  id?: string | undefined;
}

export class ChatService {
  private readonly rooms = new Map<string, Room>();
  /** Rooms being opened, so two concurrent joins share one `Room`. */
  private readonly opening = new Map<string, Promise<Room>>();
  private readonly limiter: RateLimiter;
  private readonly sweepTimer: NodeJS.Timeout;
  private readonly sessions = new Set<SessionState>();
  /** Per room: membership writes, in the order the changes happened. */
  private readonly presenceWrites = new Map<string, Promise<void>>();
  /** Per room: a members re-read is running (value false) or another is wanted (true). */
  private readonly resyncs = new Map<string, boolean>();
  private readonly resyncTimer: NodeJS.Timeout;
  /** Per room: member lookups after presence events, in order. */
  private readonly rechecks = new Map<string, Promise<void>>();

  constructor(private readonly deps: ChatDeps) {
    this.limiter = new RateLimiter(deps.settings.rateLimitPerSec, deps.settings.rateLimitBurst);
    this.sweepTimer = setInterval(() => this.limiter.sweep(this.deps.clock.now()), 60_000);
    this.sweepTimer.unref();
    // Members held by a process that died expire in the directory without an
    // event; a regular re-read notices them, within the grace period.
    this.resyncTimer = setInterval(
      () => {
        for (const room of this.rooms.values()) this.resync(room);
      },
      Math.max(250, Math.floor(deps.settings.presenceGraceMs / 4)),
    );
    this.resyncTimer.unref();
    deps.bus.subscribe((event) => this.onBusEvent(event));
  }

  private onBusEvent(event: BusEvent): void {
    if (event.kind === 'presence') {
      // Also for a room still being opened: its members read may predate this.
      if (this.rooms.has(event.room) || this.opening.has(event.room)) {
        this.recheckMember(event.room, event.userId);
      }
      return;
    }
    const room = this.rooms.get(event.kind === 'message' ? event.message.room : event.room);
    if (!room) return;
    switch (event.kind) {
      case 'message':
        room.deliver(event.message);
        return;
      case 'typing':
        room.relayTyping(event.user, event.origin);
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
    for (const room of this.rooms.values()) {
      room.catchUp();
      this.resync(room);
    }
  }

  /** Re-reads a room's members and announces the difference; one read at a time per room. */
  private resync(room: Room): void {
    if (this.resyncs.has(room.name)) {
      this.resyncs.set(room.name, true);
      return;
    }
    this.resyncs.set(room.name, false);
    this.deps.membership
      .members(room.name)
      .then(
        (members) => {
          if (this.rooms.get(room.name) === room) room.applyMembers(members);
        },
        (error: unknown) => {
          this.deps.log.warn({ err: error, room: room.name }, 'could not read members');
        },
      )
      .finally(() => {
        const again = this.resyncs.get(room.name) === true;
        this.resyncs.delete(room.name);
        if (again) this.resync(room);
      });
  }

  /**
   * Looks up one user after a presence event about them: O(1) per event
   * where a full re-read would make a room of N joins cost O(N²). Lookups
   * for one room run one after another, so answers apply in event order.
   */
  private recheckMember(name: string, userId: string): void {
    // After the previous lookup, or after the room's opening read of members.
    const previous = this.rechecks.get(name) ?? this.opening.get(name)?.then(noop, noop) ?? Promise.resolve();
    const next = previous
      .then(() => this.deps.membership.member(name, userId))
      .then(
        (user) => {
          // The answer is the directory's state now: right for whichever Room holds the name.
          this.rooms.get(name)?.applyMember(userId, user);
        },
        (error: unknown) => {
          this.deps.log.warn({ err: error, room: name }, 'could not read a member');
        },
      );
    this.rechecks.set(name, next);
    void next.finally(() => {
      if (this.rechecks.get(name) === next) this.rechecks.delete(name);
    });
  }

  /** A user became (or stopped being) a member through this process: record it, then tell every process. */
  private onLocalPresence(room: Room, user: User, present: boolean): void {
    const { membership, bus, log } = this.deps;
    const previous = this.presenceWrites.get(room.name) ?? Promise.resolve();
    const write = previous
      .then(() => membership.set(room.name, user, present))
      .then(
        () => {
          bus.publish({ kind: 'presence', room: room.name, userId: user.id });
        },
        (error: unknown) => {
          log.warn({ err: error, room: room.name }, 'could not record membership');
        },
      );
    this.presenceWrites.set(room.name, write);
    void write.finally(() => {
      if (this.presenceWrites.get(room.name) === write) this.presenceWrites.delete(room.name);
    });
  }

  /** Starts a session for a new connection. */
  open(peer: Peer): Session {
    const state = new SessionState(this, peer);
    state.helloTimer = setTimeout(this.helloTimedOut, this.deps.settings.helloTimeoutMs, state);
    this.sessions.add(state);
    return state;
  }

  get roomCount(): number {
    return this.rooms.size;
  }

  /** Stops timers and forgets rooms without announcing anyone (process exit). */
  shutdown(): void {
    clearInterval(this.sweepTimer);
    clearInterval(this.resyncTimer);
    for (const state of this.sessions) clearTimeout(state.helloTimer);
    for (const room of this.rooms.values()) room.dispose();
    this.rooms.clear();
  }

  // ---------- dispatch ----------

  /** A text frame from the client (through `Session.receive`). */
  receiveFrom(state: SessionState, raw: string): void {
    if (state.ended) return;
    const parsed = parseClientMessage(raw);
    // Every frame, even one that fails to parse, is answered in arrival order.
    this.enqueue(state, () => {
      if (!parsed.ok) {
        const { code, message, room, id } = parsed.error;
        this.error(state, code, message, { room, id });
        if (code === ERROR_CODES.UNSUPPORTED_VERSION) {
          state.peer.close(CLOSE_CODES.PROTOCOL_ERROR, 'unsupported protocol version');
        }
        return;
      }
      const message = parsed.message;
      if (message.type !== 'hello' && !state.user) {
        this.error(state, ERROR_CODES.NOT_AUTHENTICATED, 'say hello first', this.context(message));
        return;
      }
      return this.dispatch(state, message);
    });
  }

  /**
   * Runs a request now if none is in flight, else after those before it. Most
   * requests finish synchronously; an async one (hello, join) holds the ones
   * behind it so that a `send` right after a `join` sees the join.
   */
  private enqueue(state: SessionState, task: Task): void {
    if (state.busy || state.backlog) {
      state.backlog ??= [];
      if (state.backlog.length >= MAX_BACKLOG) {
        state.peer.close(CLOSE_CODES.POLICY_VIOLATION, 'too many requests in flight');
        return;
      }
      state.backlog.push(task);
      return;
    }
    this.execute(state, task);
  }

  /** Runs one request; true when it went async and holds the queue. */
  private execute(state: SessionState, task: Task): boolean {
    let result: void | Promise<void>;
    try {
      result = task();
    } catch (error) {
      this.failed(state, error);
      return false;
    }
    if (!result) return false;
    state.busy = true;
    void result
      .catch((error: unknown) => {
        this.failed(state, error);
      })
      .finally(() => {
        state.busy = false;
        for (let next = state.backlog?.shift(); next && !state.ended; next = state.backlog?.shift()) {
          if (state.backlog?.length === 0) state.backlog = undefined;
          if (this.execute(state, next)) break;
        }
      });
    return true;
  }

  private failed(state: SessionState, error: unknown): void {
    this.deps.log.error({ err: error, peer: state.peer.id }, 'request failed');
    this.error(state, ERROR_CODES.INTERNAL, 'internal error, try again');
  }

  private dispatch(state: SessionState, message: ClientMessage): void | Promise<void> {
    switch (message.type) {
      case 'hello':
        return this.hello(state, message);
      case 'join':
        return this.join(state, message);
      case 'leave':
        this.leave(state, message);
        return;
      case 'rooms':
        return this.listRooms(state);
      case 'send':
        return this.send(state, message);
      case 'history':
        return this.history(state, message);
      case 'typing':
        this.typing(state, message);
        return;
      case 'ping':
        this.reply(state, { type: 'pong', t: message.t });
        return;
      default: {
        const unreachable: never = message;
        throw new Error(`unhandled message ${JSON.stringify(unreachable)}`);
      }
    }
  }

  // ---------- session ----------

  /**
   * No `welcome` within HELLO_TIMEOUT_MS: close 4408. A client whose `hello`
   * arrived in time but is still waiting on the store (a slow commit on a
   * busy disk) is not cut off for the server's own slowness: the answer to
   * that `hello` decides, and the timer runs one more period as a bound.
   */
  private readonly helloTimedOut = (state: SessionState): void => {
    if (state.user || state.ended) return;
    // Before `welcome` only a `hello` goes async: `busy` means one waits on the store.
    if (state.busy && !state.helloOverdue) {
      state.helloOverdue = true;
      state.helloTimer = setTimeout(this.helloTimedOut, this.deps.settings.helloTimeoutMs, state);
      return;
    }
    state.peer.close(CLOSE_CODES.HELLO_TIMEOUT, 'no hello in time');
  };

  private async hello(state: SessionState, message: ClientMessageOf<'hello'>): Promise<void> {
    if (state.user) {
      this.error(state, ERROR_CODES.BAD_REQUEST, 'already said hello on this connection');
      return;
    }
    const welcomed = await this.answerHello(state, message);
    // A store that throws leaves the close to the timer's second period.
    if (!welcomed && state.helloOverdue && !state.ended) {
      clearTimeout(state.helloTimer);
      state.peer.close(CLOSE_CODES.HELLO_TIMEOUT, 'no hello in time');
    }
  }

  /** Answers `welcome` or an `error`; true for `welcome`. */
  private async answerHello(state: SessionState, message: ClientMessageOf<'hello'>): Promise<boolean> {
    const name = checkName(message.name);
    if (!name.ok) {
      this.error(state, name.code, name.message);
      return false;
    }
    const { store, clock, settings } = this.deps;
    const now = clock.now();
    const expiresAt = now + settings.tokenTtlDays * DAY_MS;
    let user: User | null;
    let token: string;
    if (message.token !== undefined) {
      token = message.token;
      user = await store.resumeSession(hashToken(token), now, expiresAt);
      if (!user) {
        this.error(state, ERROR_CODES.INVALID_TOKEN, 'unknown or expired token; say hello without it');
        return false;
      }
      if (user.name !== name.name) {
        if (!(await store.renameUser(user.id, name.name, name.key, now))) {
          this.error(state, ERROR_CODES.NAME_TAKEN, `the name ${name.name} is taken`);
          return false;
        }
        user = { id: user.id, name: name.name };
      }
    } else {
      token = newToken();
      user = await store.createUser({
        name: name.name,
        nameKey: name.key,
        tokenHash: hashToken(token),
        expiresAt,
        now,
      });
      if (!user) {
        this.error(state, ERROR_CODES.NAME_TAKEN, `the name ${name.name} is taken`);
        return false;
      }
    }
    if (state.ended) return false;
    clearTimeout(state.helloTimer);
    state.helloTimer = undefined;
    state.user = user;
    this.reply(state, {
      type: 'welcome',
      v: PROTOCOL_VERSION,
      user,
      token,
      heartbeat: { intervalMs: settings.heartbeatIntervalMs, timeoutMs: settings.heartbeatTimeoutMs },
    });
    return true;
  }

  // ---------- rooms ----------

  private async join(state: SessionState, message: ClientMessageOf<'join'>): Promise<void> {
    const user = state.user as User;
    if (!isValidRoomName(message.room)) {
      this.invalidRoom(state, message.room);
      return;
    }
    if (!state.rooms.includes(message.room) && state.rooms.length >= LIMITS.MAX_ROOMS_PER_CONNECTION) {
      this.error(
        state,
        ERROR_CODES.TOO_MANY_ROOMS,
        `a connection may be in at most ${LIMITS.MAX_ROOMS_PER_CONNECTION} rooms`,
        {
          room: message.room,
        },
      );
      return;
    }
    let room = await this.openRoom(message.room);
    // A room that went idle while it was being opened has been dropped: open it again.
    for (let tries = 0; this.rooms.get(message.room) !== room && tries < 3; tries++) {
      room = await this.openRoom(message.room);
    }
    if (state.ended) return;
    // Attach before reading history: what commits meanwhile is held, not lost.
    room.attach(state.peer, user);
    if (!state.rooms.includes(room.name)) state.rooms = [...state.rooms, room.name];
    const resume = message.since !== undefined && message.epoch === room.epoch;
    // Read the room's seq before the page: whatever commits after this read is
    // either in the page or held and released after `joined`, never both.
    const { seq: seqBefore } = await this.deps.store.openRoom(room.name);
    const page = resume
      ? await this.deps.store.after(room.name, message.since ?? 0, LIMITS.RESUME_LIMIT)
      : await this.deps.store.latest(room.name, LIMITS.JOIN_HISTORY);
    if (!room.has(state.peer)) return;
    const lastInPage = page.messages.at(-1)?.seq ?? 0;
    // Everything up to `seq` is in the page or older than it; live delivery
    // continues strictly after it, so nothing arrives both ways.
    const seq = Math.max(seqBefore, lastInPage);
    // The members are taken now, in the same turn as `release`: see Room.
    const joined = {
      room: room.name,
      epoch: room.epoch,
      seq,
      messages: page.messages,
      hasMore: page.hasMore,
    };
    state.peer.write(this.deps.encodeJoined(joined, room.encodedMembers()));
    room.release(state.peer, seq);
  }

  private openRoom(name: string): Promise<Room> {
    const existing = this.rooms.get(name);
    if (existing) return Promise.resolve(existing);
    let opening = this.opening.get(name);
    if (!opening) {
      const { store, membership, bus, settings, encode, metrics } = this.deps;
      // Members are read once this process's own pending writes for the room
      // are in (a user who just left here must not be read back as a member).
      const members = (this.presenceWrites.get(name) ?? Promise.resolve()).then(() =>
        membership.members(name),
      );
      opening = Promise.all([store.openRoom(name), members])
        .then(([stored, members]) => {
          const room =
            this.rooms.get(name) ??
            new Room({
              name,
              epoch: stored.epoch,
              seq: stored.seq,
              members,
              nodeId: bus.nodeId,
              graceMs: settings.presenceGraceMs,
              encode,
              onLocalPresence: (r, user, present) => {
                this.onLocalPresence(r, user, present);
              },
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
        .finally(() => this.opening.delete(name));
      this.opening.set(name, opening);
    }
    return opening;
  }

  private leave(state: SessionState, message: ClientMessageOf<'leave'>): void {
    if (!this.checkInRoom(state, message.room)) return;
    state.rooms = state.rooms.filter((name) => name !== message.room);
    this.rooms.get(message.room)?.detach(state.peer, true);
    this.reply(state, { type: 'left', room: message.room });
  }

  private async listRooms(state: SessionState): Promise<void> {
    const stored = await this.deps.store.listRooms();
    const counts = await this.deps.membership.counts(stored.map((r) => r.name));
    this.reply(state, {
      type: 'rooms',
      rooms: stored.map((r) => ({ name: r.name, seq: r.seq, members: counts.get(r.name) ?? 0 })),
    });
  }

  // ---------- messages ----------

  /**
   * An accepted send does not hold the session queue while it commits: a
   * client may pipeline sends, and sends from one turn of the event loop are
   * committed together. Acks come back in commit order, which is send order.
   */
  private send(state: SessionState, message: ClientMessageOf<'send'>): void | Promise<void> {
    const user = state.user as User;
    const ctx = { room: message.room, id: message.id };
    const { store, clock, metrics } = this.deps;
    // A resend of a stored message is answered with its first ack whatever the
    // rest of the request says (another room, a room left since, a full bucket),
    // so every refusal below first looks for an earlier ack.
    // Refusals are rare and keep the order of answers: the queue waits for them.
    const refuse = (reject: () => void): Promise<void> =>
      store.findAck(user.id, message.id).then(
        (ack) => {
          if (ack) this.reply(state, { type: 'ack', ...ack });
          else reject();
        },
        (error: unknown) => this.storeFailed(state, error, ctx),
      );
    if (!isValidRoomName(message.room))
      return refuse(() => this.invalidRoom(state, message.room, message.id));
    if (!state.rooms.includes(message.room))
      return refuse(() => this.notInRoom(state, message.room, message.id));
    const text = checkText(message.text);
    if (!text.ok) return refuse(() => this.error(state, text.code, text.message, ctx));
    const started = performance.now();
    const bucket = this.limiter.bucket(user.id, clock.now());
    if (!bucket.take(clock.now())) return refuse(() => this.rateLimited(state, ctx));
    store
      .append({ room: message.room, id: message.id, from: user, text: message.text, ts: clock.now() })
      .then(
        (outcome) => {
          if (outcome.kind === 'duplicate') {
            bucket.refund();
            this.reply(state, { type: 'ack', ...outcome.ack });
            return;
          }
          const stored = outcome.message;
          metrics.storeSeconds.observe((performance.now() - started) / 1000);
          metrics.messagesIn.inc();
          // The sender's ack goes before the message itself on its connection.
          this.reply(state, {
            type: 'ack',
            room: stored.room,
            id: stored.id,
            seq: stored.seq,
            ts: stored.ts,
          });
          const fanout = performance.now();
          this.deps.bus.publish({ kind: 'message', message: stored });
          metrics.fanoutSeconds.observe((performance.now() - fanout) / 1000);
        },
        (error: unknown) => this.storeFailed(state, error, ctx),
      );
  }

  private async history(state: SessionState, message: ClientMessageOf<'history'>): Promise<void> {
    if (!this.checkInRoom(state, message.room)) return;
    const page = await this.deps.store.before(
      message.room,
      message.before ?? Number.MAX_SAFE_INTEGER,
      message.limit ?? LIMITS.HISTORY_DEFAULT_LIMIT,
    );
    this.reply(state, {
      type: 'history',
      room: message.room,
      messages: page.messages,
      hasMore: page.hasMore,
    });
  }

  private typing(state: SessionState, message: ClientMessageOf<'typing'>): void {
    if (!this.checkInRoom(state, message.room)) return;
    const room = this.rooms.get(message.room);
    const user = state.user as User;
    // Throttled where it is sent, so a flood never reaches the bus.
    if (room?.allowTyping(user.id, this.deps.clock.now())) {
      this.deps.bus.publish({ kind: 'typing', room: room.name, user, origin: room.originOf(state.peer) });
    }
  }

  // ---------- endings ----------

  /** The connection is gone (through `Session.end`). */
  endSession(state: SessionState, clean: boolean): void {
    if (state.ended) return;
    state.ended = true;
    clearTimeout(state.helloTimer);
    state.helloTimer = undefined;
    this.sessions.delete(state);
    for (const name of state.rooms) this.rooms.get(name)?.detach(state.peer, clean);
    state.rooms = [];
  }

  // ---------- replies ----------

  private reply(state: SessionState, message: ServerMessage): void {
    if (!state.ended) state.peer.write(this.deps.encode(message));
  }

  private error(state: SessionState, code: ErrorCode, text: string, ctx: ErrorContext = {}): void {
    this.deps.metrics.framesRejected.inc({ code });
    this.reply(state, {
      type: 'error',
      code,
      message: text,
      ...(ctx.id !== undefined ? { id: ctx.id } : {}),
      ...(ctx.room !== undefined ? { room: ctx.room } : {}),
    });
    if (
      code === ERROR_CODES.BAD_REQUEST &&
      (state.badRequests ??= new WindowCounter(LIMITS.ABUSE_WINDOW_MS)).hit(this.deps.clock.now()) >
        LIMITS.MAX_BAD_REQUESTS_PER_WINDOW
    ) {
      state.peer.close(CLOSE_CODES.POLICY_VIOLATION, 'too many bad requests');
    }
  }

  private rateLimited(state: SessionState, ctx: ErrorContext): void {
    this.error(state, ERROR_CODES.RATE_LIMITED, 'too many messages; slow down', ctx);
    if (
      (state.rateLimited ??= new WindowCounter(LIMITS.ABUSE_WINDOW_MS)).hit(this.deps.clock.now()) >
      LIMITS.MAX_RATE_LIMITED_PER_WINDOW
    ) {
      state.peer.close(CLOSE_CODES.POLICY_VIOLATION, 'too many messages');
    }
  }

  private storeFailed(state: SessionState, error: unknown, ctx: ErrorContext): void {
    this.deps.log.error({ err: error, room: ctx.room }, 'store failed; message not acked');
    this.error(state, ERROR_CODES.INTERNAL, 'the message could not be stored; send it again', ctx);
  }

  /** True when `room` is a valid name this connection is in; otherwise answers the error. */
  private checkInRoom(state: SessionState, room: string): boolean {
    if (!isValidRoomName(room)) this.invalidRoom(state, room);
    else if (!state.rooms.includes(room)) this.notInRoom(state, room);
    else return true;
    return false;
  }

  private invalidRoom(state: SessionState, room: string, id?: string): void {
    this.error(
      state,
      ERROR_CODES.INVALID_ROOM,
      'room names are 1-32 of a-z, 0-9, _ and -, starting with a letter or digit',
      {
        room,
        id,
      },
    );
  }

  private notInRoom(state: SessionState, room: string, id?: string): void {
    this.error(state, ERROR_CODES.NOT_IN_ROOM, `join ${room} first`, { room, id });
  }

  private context(message: { type: string; room?: string; id?: string }): ErrorContext {
    return { room: message.room, id: message.type === 'send' ? message.id : undefined };
  }
}
