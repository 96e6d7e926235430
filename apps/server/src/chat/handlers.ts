/**
 * What each request does, as the protocol reference describes it: hello,
 * join, leave, rooms, history, typing and ping; send and the changes of a
 * message (edit, delete, react) are in writes.ts. A handler reads the
 * session's state, checks the request, talks to the store and the room
 * registry, and answers through the session.
 */
import {
  ERROR_CODES,
  FEATURES,
  LIMITS,
  PROTOCOL_VERSION,
  checkName,
  isValidRoomName,
  type ClientMessage,
  type ClientMessageOf,
  type User,
} from '@tether/protocol';
import type { Logger } from 'pino';

import type { Metrics } from '../metrics.js';
import type { LogSampler } from '../util/log-sampler.js';
import { Budgets } from './budgets.js';
import { WriteHandlers, type Refusals } from './writes.js';
import { fitMessages } from './pages.js';
import type { ChatSettings, ChatStore, Clock, JoinedEncoder, MembershipDirectory } from './ports.js';
import type { RoomRegistry } from './rooms.js';
import type { ErrorContext, RequestHandler, Session } from './session.js';
import { hashToken, newToken } from './tokens.js';

const DAY_MS = 86_400_000;
/**
 * A token in use does not expire: activity pushes its expiry forward, at
 * most this often per connection (batched with the next group commit), and
 * every connected user is touched this often besides. Tokens live a day or
 * more (TOKEN_TTL_DAYS), so a connected user's never runs out.
 */
export const TOUCH_EVERY_MS = 3_600_000;
const HOUR_MS = 3_600_000;

export interface HandlerDeps {
  store: ChatStore;
  membership: MembershipDirectory;
  rooms: RoomRegistry;
  encodeJoined: JoinedEncoder;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  settings: ChatSettings;
  /** Shared with the sessions: a few failures of each kind a minute are logged. */
  failures: LogSampler;
  /** The user took a new name: tell every session of theirs and every room they are in. */
  renamed: (user: User) => void;
}

export class RequestHandlers implements RequestHandler, Refusals {
  private readonly budgets: Budgets;
  private readonly writes: WriteHandlers;
  private readonly sweepTimer: NodeJS.Timeout;

  constructor(private readonly deps: HandlerDeps) {
    this.budgets = new Budgets(deps.settings);
    this.writes = new WriteHandlers({
      store: deps.store,
      rooms: deps.rooms,
      clock: deps.clock,
      metrics: deps.metrics,
      budgets: this.budgets,
      refusals: this,
    });
    this.sweepTimer = setInterval(() => this.budgets.sweep(this.deps.clock.monotonic()), 60_000);
    this.sweepTimer.unref();
  }

  handle(session: Session, message: ClientMessage): void | Promise<void> {
    if (session.user) this.active(session, session.user);
    switch (message.type) {
      case 'hello':
        return this.hello(session, message);
      case 'join':
        return this.join(session, message);
      case 'leave':
        this.leave(session, message);
        return;
      case 'rooms':
        return this.listRooms(session, message);
      case 'send':
        return this.writes.send(session, message);
      case 'history':
        return this.history(session, message);
      case 'typing':
        this.typing(session, message);
        return;
      case 'ping':
        session.reply({ type: 'pong', t: message.t });
        return;
      case 'members':
        this.members(session, message);
        return;
      case 'edit':
      case 'delete':
      case 'react':
        return this.writes.change(session, message);
      default: {
        const unreachable: never = message;
        throw new Error(`unhandled message ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /** The user is active on this session: their token lives on (throttled). */
  private active(session: Session, user: User): void {
    const now = this.deps.clock.now();
    if (now - session.touchedAt < TOUCH_EVERY_MS) return;
    session.touchedAt = now;
    this.deps.store.touchUsers([user.id], now + this.deps.settings.tokenTtlDays * DAY_MS);
  }

  ended(session: Session, clean: boolean): void {
    for (const name of session.rooms) this.deps.rooms.get(name)?.detach(session.peer, clean);
  }

  stop(): void {
    clearInterval(this.sweepTimer);
  }

  // ---------- session ----------

  private async hello(session: Session, message: ClientMessageOf<'hello'>): Promise<void> {
    if (session.user) {
      session.error(ERROR_CODES.BAD_REQUEST, 'already said hello on this connection');
      return;
    }
    // A store that throws leaves the close to the hello timer's second period.
    if (!(await this.answerHello(session, message))) session.helloRefused();
  }

  /** Answers `welcome` or an `error`; true for `welcome`. */
  private async answerHello(session: Session, message: ClientMessageOf<'hello'>): Promise<boolean> {
    const name = checkName(message.name);
    if (!name.ok) {
      session.error(name.code, name.message);
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
        session.error(ERROR_CODES.INVALID_TOKEN, 'unknown or expired token; say hello without it');
        return false;
      }
      if (user.name !== name.name) {
        // Every rename is announced to each room the user is in: budgeted.
        const renames = this.budgets.renames.bucket(user.id, clock.monotonic());
        if (!renames.take(clock.monotonic())) {
          session.rateLimited(
            { retryAfterMs: renames.waitMs(clock.monotonic()) },
            'too many name changes; keep your name or try later',
          );
          return false;
        }
        if (!(await store.renameUser(user.id, name.name, name.key, now))) {
          renames.refund();
          session.error(ERROR_CODES.NAME_TAKEN, `the name ${name.name} is taken`);
          return false;
        }
        user = { id: user.id, name: name.name };
        // Before this session counts as the user's: it learns the name from `welcome`.
        this.deps.renamed(user);
      }
    } else {
      // Creating a user spends the client address's budget; a name that is
      // taken created nothing and gives it back.
      const budget = this.budgets.newUsers.bucket(session.peer.address, clock.monotonic());
      if (!budget.take(clock.monotonic())) {
        session.rateLimited(
          { retryAfterMs: budget.waitMs(clock.monotonic()) },
          'too many new users from this address; try again later',
        );
        return false;
      }
      token = newToken();
      user = await store.createUser({
        name: name.name,
        nameKey: name.key,
        tokenHash: hashToken(token),
        expiresAt,
        now,
      });
      if (!user) {
        budget.refund();
        session.error(ERROR_CODES.NAME_TAKEN, `the name ${name.name} is taken`);
        return false;
      }
    }
    if (session.ended) return false;
    session.welcomed(user);
    // The hello itself set the expiry.
    session.touchedAt = now;
    session.reply({
      type: 'welcome',
      v: PROTOCOL_VERSION,
      user,
      token,
      heartbeat: { intervalMs: settings.heartbeatIntervalMs, timeoutMs: settings.heartbeatTimeoutMs },
      limits: { sendsPerSec: settings.rateLimitPerSec, burst: settings.rateLimitBurst },
      features: [FEATURES.CHANGES],
    });
    return true;
  }

  // ---------- rooms ----------

  private async join(session: Session, message: ClientMessageOf<'join'>): Promise<void> {
    const user = session.user as User;
    if (!isValidRoomName(message.room)) {
      this.invalidRoom(session, message.room);
      return;
    }
    if (!session.rooms.includes(message.room) && session.rooms.length >= LIMITS.MAX_ROOMS_PER_CONNECTION) {
      session.error(
        ERROR_CODES.TOO_MANY_ROOMS,
        `a connection may be in at most ${LIMITS.MAX_ROOMS_PER_CONNECTION} rooms`,
        { room: message.room },
      );
      return;
    }
    const { store, clock } = this.deps;
    if (!this.budgets.joins.take(user.id, clock.monotonic())) {
      const retryAfterMs = this.budgets.joins.waitMs(user.id, clock.monotonic());
      session.rateLimited({ room: message.room, retryAfterMs }, 'too many joins; slow down');
      return;
    }
    // A room that exists nowhere yet is created by this join: that spends the
    // creation budgets of the user and of the client's address.
    if (
      !this.deps.rooms.get(message.room) &&
      !(await store.findRoom(message.room)) &&
      !this.budgets.takeNewRoom(user.id, session.peer.address, clock.monotonic())
    ) {
      const retryAfterMs = this.budgets.newRoomWaitMs(user.id, session.peer.address, clock.monotonic());
      session.rateLimited(
        { room: message.room, retryAfterMs },
        'too many new rooms; join an existing one or try later',
      );
      return;
    }
    const room = await this.deps.rooms.open(message.room);
    if (session.ended) return;
    if (!session.rooms.includes(room.name)) session.rooms = [...session.rooms, room.name];
    const resume = message.since !== undefined && message.epoch === room.epoch;
    await this.deps.rooms.answerJoin(room, session.peer, user, resume ? message.since : undefined);
  }

  private leave(session: Session, message: ClientMessageOf<'leave'>): void {
    if (!this.checkInRoom(session, message.room)) return;
    // Leaving spends nothing: a join/leave flood is bounded by its joins,
    // and a client must always be able to leave.
    session.rooms = session.rooms.filter((name) => name !== message.room);
    this.deps.rooms.get(message.room)?.detach(session.peer, true);
    session.reply({ type: 'left', room: message.room });
  }

  /** Spends a read; false (answered `rate_limited`) when the budget is empty. */
  private takeRead(session: Session, room?: string): boolean {
    const userId = (session.user as User).id;
    const now = this.deps.clock.monotonic();
    if (this.budgets.reads.take(userId, now)) return true;
    session.rateLimited(
      { room, retryAfterMs: this.budgets.reads.waitMs(userId, now) },
      'too many reads; slow down',
    );
    return false;
  }

  /**
   * A page of rooms in name order. A page is at most ROOMS_PAGE_LIMIT rooms
   * of about 60 bytes each, far under MAX_PAGE_BYTES.
   */
  private async listRooms(session: Session, message: ClientMessageOf<'rooms'>): Promise<void> {
    if (!this.takeRead(session)) return;
    const { store, membership, clock, settings } = this.deps;
    const listing = await store.listRooms({
      prefix: message.prefix ?? '',
      after: message.after,
      limit: message.limit ?? LIMITS.ROOMS_PAGE_LIMIT,
      activeSince: clock.now() - settings.emptyRoomTtlHours * HOUR_MS,
    });
    const counts = await membership.counts(listing.rooms.map((r) => r.name));
    session.reply({
      type: 'rooms',
      rooms: listing.rooms.map((r) => ({ name: r.name, seq: r.seq, members: counts.get(r.name) ?? 0 })),
      hasMore: listing.hasMore,
      // Which page this answers: a client with several searches in flight keeps only the current one's.
      ...echoPage(message),
    });
  }

  /**
   * A page of a room's members in name order, from this process's record of
   * them. At most MEMBERS_PAGE_LIMIT members of at most a few hundred bytes
   * each: far under MAX_PAGE_BYTES.
   */
  private members(session: Session, message: ClientMessageOf<'members'>): void {
    if (!this.checkInRoom(session, message.room) || !this.takeRead(session, message.room)) return;
    // Being in the room means this process holds it.
    const room = this.deps.rooms.get(message.room);
    if (!room) return;
    const page = room.membersPage(
      message.prefix ?? '',
      message.after,
      message.limit ?? LIMITS.MEMBERS_PAGE_LIMIT,
    );
    session.reply({
      type: 'members',
      room: room.name,
      members: page.members,
      count: room.memberCount,
      hasMore: page.hasMore,
      ...(page.next === undefined ? {} : { next: page.next }),
      ...echoPage(message),
    });
  }

  // ---------- messages ----------

  private async history(session: Session, message: ClientMessageOf<'history'>): Promise<void> {
    if (!this.checkInRoom(session, message.room) || !this.takeRead(session, message.room)) return;
    const page = fitMessages(
      await this.deps.store.before(
        message.room,
        message.before ?? Number.MAX_SAFE_INTEGER,
        message.limit ?? LIMITS.HISTORY_DEFAULT_LIMIT,
      ),
      LIMITS.MAX_PAGE_BYTES,
    );
    session.reply({ type: 'history', room: message.room, messages: page.messages, hasMore: page.hasMore });
  }

  private typing(session: Session, message: ClientMessageOf<'typing'>): void {
    if (!this.checkInRoom(session, message.room)) return;
    const room = this.deps.rooms.get(message.room);
    const user = session.user as User;
    // Throttled where it is sent, so a flood never reaches other processes.
    if (room?.allowTyping(user.id, this.deps.clock.monotonic()))
      this.deps.rooms.typing(room, user, session.peer);
  }

  // ---------- refusals ----------

  storeFailed(session: Session, error: unknown, ctx: ErrorContext): void {
    const sampled = this.deps.failures.take(error instanceof Error ? error.message : String(error));
    if (sampled.log) {
      this.deps.log.error(
        { err: error, room: ctx.room, suppressed: sampled.suppressed },
        'store failed; message not acked',
      );
    }
    session.error(ERROR_CODES.INTERNAL, 'the message could not be stored; send it again', ctx);
  }

  /** True when `room` is a valid name this connection is in; otherwise answers the error. */
  private checkInRoom(session: Session, room: string): boolean {
    if (!isValidRoomName(room)) this.invalidRoom(session, room);
    else if (!session.rooms.includes(room)) this.notInRoom(session, room);
    else return true;
    return false;
  }

  invalidRoom(session: Session, room: string, id?: string): void {
    session.error(
      ERROR_CODES.INVALID_ROOM,
      'room names are 1-32 of a-z, 0-9, _ and -, starting with a letter or digit',
      { room, id },
    );
  }

  notInRoom(session: Session, room: string, id?: string): void {
    session.error(ERROR_CODES.NOT_IN_ROOM, `join ${room} first`, { room, id });
  }
}

/** A page request's `prefix` and `after`, as asked, for its answer. */
function echoPage(message: { prefix?: string | undefined; after?: string | undefined }): {
  prefix?: string;
  after?: string;
} {
  return {
    ...(message.prefix === undefined ? {} : { prefix: message.prefix }),
    ...(message.after === undefined ? {} : { after: message.after }),
  };
}
