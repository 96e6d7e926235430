/**
 * One connection's session: its requests in order, the hello and its timer,
 * replies and errors, and the abuse counters that close it. What a request
 * does is not decided here: the session hands each parsed request to a
 * `RequestHandler`, so this file knows nothing of rooms or storage.
 */
import {
  CLOSE_CODES,
  ERROR_CODES,
  LIMITS,
  parseClientMessage,
  type ClientMessage,
  type ErrorCode,
  type ServerMessage,
  type User,
} from '@tether/protocol';
import type { Logger } from 'pino';

import type { Metrics } from '../metrics.js';
import type { LogSampler } from '../util/log-sampler.js';
import type { Clock, ConnectionSession, FrameEncoder, Peer } from './ports.js';
import { WindowCounter } from './window-counter.js';

/** Runs the requests of sessions. */
export interface RequestHandler {
  /** One parsed request: a `hello`, or anything once the session has its user. May go async. */
  handle(session: Session, message: ClientMessage): void | Promise<void>;
  /** The connection is gone; `clean` for closes 1000/1001. */
  ended(session: Session, clean: boolean): void;
}

/** What every session shares: one object for all, so a session holds two references, not a dozen. */
export interface SessionContext {
  handler: RequestHandler;
  encode: FrameEncoder;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  helloTimeoutMs: number;
  /** Failures are logged whole, but a few of each kind a minute (a store outage fails every request). */
  failures: LogSampler;
  /** Every frame spends one from the connection's budget (docs/protocol.md, "Budgets"). */
  frameLimitPerSec: number;
  frameLimitBurst: number;
}

/** Where an error frame points: the request's room and, for requests that carry one, its id. */
export interface ErrorContext {
  room?: string | undefined;
  id?: string | undefined;
  /** The request's `type`, echoed as `error.request`. */
  request?: string | undefined;
  /** With `rate_limited`: when the budget has room again. */
  retryAfterMs?: number | undefined;
}

type Task = () => void | Promise<void>;

/**
 * Refusals that asking again cannot fix: a client that collects more than
 * MAX_BAD_REQUESTS_PER_WINDOW of them within a minute is probing (room names,
 * tokens, names held by others) or broken, and is closed with 1008.
 */
const HOPELESS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ERROR_CODES.BAD_REQUEST,
  ERROR_CODES.INVALID_ROOM,
  ERROR_CODES.INVALID_NAME,
  ERROR_CODES.INVALID_TOKEN,
  ERROR_CODES.NAME_TAKEN,
]);

/**
 * Requests waiting behind an async one. Past this a client is flooding
 * faster than the store answers: close with 1008 rather than buffer forever.
 */
const MAX_BACKLOG = 1000;

/**
 * A class, not an object of closures: a server holds thousands of idle
 * connections, and every closure and context per connection shows in its
 * memory.
 */
export class Session implements ConnectionSession {
  /** Set by `welcome`. */
  user: User | null = null;
  /**
   * Rooms joined on this connection (at most MAX_ROOMS_PER_CONNECTION, 20: a
   * list is enough). Replaced, never grown: a `push` would reserve room for
   * 17 names in every connection's array.
   */
  rooms: readonly string[] = [];
  /** An async request is in flight; later ones wait in `backlog`. */
  private busy = false;
  /** Requests behind the one in flight; made when first needed. */
  private backlog: Task[] | undefined = undefined;
  /** Abuse counters, made on the first event (most connections never need them). */
  private badRequests: WindowCounter | undefined = undefined;
  private rateLimits: WindowCounter | undefined = undefined;
  /** Until the `hello`; dropped then, so an idle connection keeps no timer. */
  private helloTimer: NodeJS.Timeout | undefined = undefined;
  /** The hello timer fired while a `hello` was in flight: its answer decides. */
  private helloOverdue = false;
  /** When this session last pushed its user's token expiry forward (wall ms). */
  touchedAt = 0;
  /** The frame budget, as two numbers rather than a bucket object per connection. */
  private frameTokens: number;
  private frameTokensAt: number;
  ended = false;

  constructor(
    private readonly context: SessionContext,
    readonly peer: Peer,
  ) {
    this.helloTimer = setTimeout(helloTimedOut, context.helloTimeoutMs, this);
    this.frameTokens = context.frameLimitBurst;
    this.frameTokensAt = context.clock.monotonic();
  }

  /** The request being handled, for the errors it answers. */
  private handling: ErrorContext | undefined = undefined;

  /** How long until the frame budget has a frame again. */
  private frameWaitMs(): number {
    return Math.ceil(((1 - this.frameTokens) / this.context.frameLimitPerSec) * 1000);
  }

  /** Spends one frame of the budget; false when it is empty. */
  private takeFrame(): boolean {
    const { clock, frameLimitPerSec, frameLimitBurst } = this.context;
    const now = clock.monotonic();
    const elapsed = Math.max(0, now - this.frameTokensAt);
    this.frameTokensAt = now;
    this.frameTokens = Math.min(frameLimitBurst, this.frameTokens + (elapsed * frameLimitPerSec) / 1000);
    if (this.frameTokens < 1) return false;
    this.frameTokens -= 1;
    return true;
  }

  /** Hands one text frame from the client to the chat. */
  receive(raw: string): void {
    if (this.ended) return;
    const parsed = parseClientMessage(raw);
    // Past the frame budget a frame is refused, but read first: the refusal
    // echoes its id and room, so a client knows which request to send again.
    // (Reading costs little: 100 refusals within a minute close the connection.)
    const withinBudget = this.takeFrame();
    // Every frame, even one that fails to parse, is answered in arrival order.
    this.enqueue(() => {
      // Errors of this request name it and its room (see `error`): it holds
      // the queue until it settles, so this stays right until the next one.
      this.handling = parsed.ok ? contextOf(parsed.message) : undefined;
      if (!parsed.ok) {
        const { code, message, room, id } = parsed.error;
        if (!withinBudget) {
          this.rateLimited({ room, id }, 'too many frames; slow down');
          return;
        }
        this.error(code, message, { room, id });
        if (code === ERROR_CODES.UNSUPPORTED_VERSION) {
          this.peer.close(CLOSE_CODES.PROTOCOL_ERROR, 'unsupported protocol version');
        }
        return;
      }
      const message = parsed.message;
      const ctx = contextOf(message);
      if (!withinBudget) {
        this.rateLimited({ ...ctx, retryAfterMs: this.frameWaitMs() }, 'too many frames; slow down');
        return;
      }
      if (message.type !== 'hello' && !this.user) {
        this.error(ERROR_CODES.NOT_AUTHENTICATED, 'say hello first', ctx);
        return;
      }
      try {
        // Even a failure names the request and its room.
        return this.context.handler.handle(this, message)?.catch((error: unknown) => this.failed(error, ctx));
      } catch (error) {
        this.failed(error, ctx);
      }
    });
  }

  /** The connection is gone; `clean` for closes 1000/1001. */
  end(clean: boolean): void {
    if (this.ended) return;
    this.ended = true;
    this.clearHelloTimer();
    this.context.handler.ended(this, clean);
    this.rooms = [];
  }

  // ---------- the request queue ----------

  /**
   * Runs a request now if none is in flight, else after those before it. Most
   * requests finish synchronously; an async one (hello, join) holds the ones
   * behind it so that a `send` right after a `join` sees the join.
   */
  private enqueue(task: Task): void {
    if (this.busy || this.backlog) {
      this.backlog ??= [];
      if (this.backlog.length >= MAX_BACKLOG) {
        this.abuse('backlog', 'too many requests in flight');
        return;
      }
      this.backlog.push(task);
      return;
    }
    this.execute(task);
  }

  /** Runs one request; true when it went async and holds the queue. */
  private execute(task: Task): boolean {
    // A client that does not read its answers waits for them to go out
    // before the next is made, instead of being cut off as a slow consumer.
    if (this.peer.unsentBytes > LIMITS.ANSWER_BACKLOG_BYTES) task = this.afterDrain(task);
    let result: void | Promise<void>;
    try {
      result = task();
    } catch (error) {
      this.failed(error);
      return false;
    }
    if (!result) return false;
    this.busy = true;
    void result
      .catch((error: unknown) => {
        this.failed(error);
      })
      .finally(() => {
        this.busy = false;
        for (let next = this.backlog?.shift(); next && !this.ended; next = this.backlog?.shift()) {
          if (this.backlog?.length === 0) this.backlog = undefined;
          if (this.execute(next)) break;
        }
      });
    return true;
  }

  private afterDrain(task: Task): Task {
    return async () => {
      while (!this.ended && this.peer.unsentBytes > LIMITS.ANSWER_BACKLOG_BYTES)
        await this.peer.whenDrained();
      if (!this.ended) await task();
    };
  }

  private failed(error: unknown, ctx: ErrorContext = {}): void {
    const sampled = this.context.failures.take(error instanceof Error ? error.message : String(error));
    if (sampled.log) {
      this.context.log.error(
        { err: error, peer: this.peer.id, suppressed: sampled.suppressed },
        'request failed',
      );
    }
    this.error(ERROR_CODES.INTERNAL, 'internal error, try again', ctx);
  }

  // ---------- hello ----------

  /** The `hello` was answered with `welcome`: this connection is `user` from now on. */
  welcomed(user: User): void {
    this.clearHelloTimer();
    this.user = user;
  }

  /** A `hello` was refused: if the timer ran out meanwhile, its answer was the last chance. */
  helloRefused(): void {
    if (this.helloOverdue && !this.ended) {
      this.clearHelloTimer();
      this.peer.close(CLOSE_CODES.HELLO_TIMEOUT, 'no hello in time');
    }
  }

  /**
   * No `welcome` within HELLO_TIMEOUT_MS: close 4408. A client whose `hello`
   * arrived in time but is still waiting on the store (a slow commit on a
   * busy disk) is not cut off for the server's own slowness: the answer to
   * that `hello` decides, and the timer runs one more period as a bound.
   */
  onHelloTimeout(): void {
    if (this.user || this.ended) return;
    // Before `welcome` only a `hello` goes async: `busy` means one waits on the store.
    if (this.busy && !this.helloOverdue) {
      this.helloOverdue = true;
      this.helloTimer = setTimeout(helloTimedOut, this.context.helloTimeoutMs, this);
      return;
    }
    this.peer.close(CLOSE_CODES.HELLO_TIMEOUT, 'no hello in time');
  }

  /** Stops the hello timer (the process is going away). */
  clearHelloTimer(): void {
    clearTimeout(this.helloTimer);
    this.helloTimer = undefined;
  }

  // ---------- replies ----------

  reply(message: ServerMessage): void {
    if (!this.ended) this.peer.write(this.context.encode(message));
  }

  /** Answers `error`; more than 20 `bad_request` within a minute close the connection (1008). */
  error(code: ErrorCode, text: string, given: ErrorContext = {}): void {
    const { metrics, clock } = this.context;
    metrics.framesRejected.inc({ code });
    // What the caller says wins; the rest comes from the request being handled.
    const ctx = { ...this.handling, ...given };
    this.reply({
      type: 'error',
      code,
      message: text,
      ...(ctx.id !== undefined ? { id: ctx.id } : {}),
      ...(ctx.room !== undefined ? { room: ctx.room } : {}),
      ...(ctx.request !== undefined ? { request: ctx.request } : {}),
      ...(ctx.retryAfterMs !== undefined ? { retryAfterMs: ctx.retryAfterMs } : {}),
    });
    if (
      HOPELESS.has(code) &&
      (this.badRequests ??= new WindowCounter(LIMITS.ABUSE_WINDOW_MS)).hit(clock.monotonic()) >
        LIMITS.MAX_BAD_REQUESTS_PER_WINDOW
    ) {
      this.abuse('bad_request', 'too many refused requests');
    }
  }

  /** Closes with 1008 for abuse, counted by reason. */
  private abuse(reason: 'backlog' | 'bad_request' | 'rate_limited', text: string): void {
    this.context.metrics.abuseCloses.inc({ reason });
    this.peer.close(CLOSE_CODES.POLICY_VIOLATION, text);
  }

  /** Answers `rate_limited`; more than 100 within a minute close the connection (1008). */
  rateLimited(ctx: ErrorContext, text: string): void {
    this.error(ERROR_CODES.RATE_LIMITED, text, ctx);
    if (
      (this.rateLimits ??= new WindowCounter(LIMITS.ABUSE_WINDOW_MS)).hit(this.context.clock.monotonic()) >
      LIMITS.MAX_RATE_LIMITED_PER_WINDOW
    ) {
      this.abuse('rate_limited', 'too many requests beyond their budget');
    }
  }
}

/** One function for every session's timer, not a closure each. */
function helloTimedOut(session: Session): void {
  session.onHelloTimeout();
}

/** The error context of a request refused before it was handled. */
function contextOf(message: ClientMessage): ErrorContext {
  return {
    request: message.type,
    room: 'room' in message ? message.room : undefined,
    id: 'id' in message ? message.id : undefined,
  };
}
