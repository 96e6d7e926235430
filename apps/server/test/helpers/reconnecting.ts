/**
 * The one test client that reconnects as docs/protocol.md › Reconnect asks: on
 * each connection, hello with its token, join every room (with since and
 * epoch once it has them), then resend every unacked send with its original
 * id. Tests of what happens around a restart or a crash use it.
 *
 * It comes back in one of two ways:
 *
 * - `reconnect: 'backoff'` (the default), by itself, as a browser would:
 *   attempt n waits a random time in [0, min(10 s, 0.5 s × 2^(n-1))] (full
 *   jitter); the count resets once a connection stayed up 10 s; after 1013
 *   the next attempt waits at least 5 s; after a 1001 with a restart hint
 *   every attempt waits `retryInMs` plus a random share of `spreadMs`, until
 *   one is welcomed (for at most RESTART_PACE_MAX_MS); 1002, 1003, 1008 and
 *   1009 end the client (reported in `fatal`, not retried);
 * - `reconnect: 'manual'`, only when the test calls `start()`: the test can
 *   read what a killed server kept before anyone resends, or bring every
 *   client back in the same instant (a restart storm).
 *
 * It records every attempt, close, time it was ready, id sent and first ack,
 * so a test can show that nothing acked was lost, nothing was stored twice,
 * and many clients did not come back all at once.
 */
import {
  FATAL_CLOSE_CODES,
  PROTOCOL_VERSION,
  RECONNECT,
  parseRestartHint,
  parseServerMessage,
  type RestartHint,
  type ServerMessage,
} from '@tether/protocol';
import WebSocket from 'ws';

export interface Attempt {
  /** Date.now() when the attempt started (after its delay). */
  at: number;
  /** 1 for the first attempt after a drop. */
  n: number;
  /** The delay drawn before it. */
  delayMs: number;
  /** Paced by a restart hint rather than the backoff ladder. */
  hinted: boolean;
  ok: boolean;
}

export interface Sent {
  room: string;
  text: string;
}

/** An edit, delete or react as asked for. */
export interface ChangeRequest {
  type: 'edit' | 'delete' | 'react';
  room: string;
  target: number;
  text?: string;
  emoji?: string;
  on?: boolean;
}

/** The same as sent, its id included. */
export type ChangeFrame = ChangeRequest & { id: string };

export interface Acked {
  room: string;
  seq: number;
}

export interface ReconnectingClientOptions {
  /**
   * `'backoff'`: reconnects by itself with full jitter until `stop()`.
   * `'manual'`: each `start()` opens one connection; `ready()` fails when it
   * closes first.
   * @default 'backoff'
   */
  reconnect?: 'backoff' | 'manual';
  /** Draws the jitter. @default Math.random */
  random?: () => number;
  /** Bound on each handshake. @default 5000 */
  handshakeTimeoutMs?: number;
}

/** Full jitter: a random delay in [0, min(10 s, 0.5 s × 2^(n-1))]. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const cap = Math.min(RECONNECT.MAX_DELAY_MS, RECONNECT.BASE_DELAY_MS * 2 ** (attempt - 1));
  return random() * cap;
}

interface ReadyWaiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

export class ReconnectingClient {
  readonly attempts: Attempt[] = [];
  /** Close codes of every connection this client had, in order. */
  readonly closes: number[] = [];
  /** Date.now() of every time all its rooms were joined after a (re)connect, in order. */
  readonly readyAt: number[] = [];
  /** Every id sent, with its room and text, in send order. */
  readonly sent = new Map<string, Sent>();
  /** id → room and seq of its first ack (sends and changes). */
  readonly acked = new Map<string, Acked>();
  /** Change requests (edit, delete, react) by id, in send order, resent like sends until acked. */
  readonly changes = new Map<string, ChangeFrame>();
  /**
   * Asked for each new request `keepSending` makes: a change to send instead
   * of a new message, or undefined for a message.
   */
  chooseChange: ((client: ReconnectingClient) => ChangeRequest | undefined) | undefined;
  /** Frames that are not in the protocol, errors, and resends acked with another room or seq. */
  readonly problems: string[] = [];
  /** Set when a close it must not retry ended the client. */
  fatal: number | undefined;
  token: string | undefined;
  userId: string | undefined;

  private ws: WebSocket | undefined;
  private readonly rooms = new Map<string, { since: number | undefined; epoch: string | undefined }>();
  private joinedRooms = new Set<string>();
  /** Ids sent and not acked yet, resent on every connection until acked. */
  private readonly outbox = new Set<string>();
  private readonly readyWaiters = new Set<ReadyWaiter>();
  private readonly mode: 'backoff' | 'manual';
  private readonly random: () => number;
  private readonly handshakeTimeoutMs: number;
  private nextId = 0;
  private attempt = 0;
  private upSince = 0;
  /** New sends kept in flight while ready (`keepSending`). */
  private window = 0;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly url: string,
    readonly name: string,
    options: ReconnectingClientOptions = {},
  ) {
    this.mode = options.reconnect ?? 'backoff';
    this.random = options.random ?? Math.random;
    this.handshakeTimeoutMs = options.handshakeTimeoutMs ?? 5000;
  }

  /**
   * Connects now, without a delay. With `'backoff'` it then keeps
   * reconnecting by itself until `stop()`; with `'manual'` this is the only
   * way it connects again.
   */
  start(): void {
    const state = this.ws?.readyState;
    if (state === WebSocket.CONNECTING || state === WebSocket.OPEN) {
      throw new Error(`${this.name}: start() while still connected`);
    }
    this.connect(0);
  }

  /** Adds a room to join on every connection. */
  join(room: string): void {
    if (!this.rooms.has(room)) this.rooms.set(room, { since: undefined, epoch: undefined });
    if (this.isReady()) this.sendJoin(room);
  }

  /**
   * Queues a message (text by default `<name> says <id>`); it is sent now if
   * ready and resent on every connection until acked. Returns its id.
   */
  send(room: string, text?: string): string {
    const id = `${this.name}-${this.nextId++}`;
    const sent = { room, text: text ?? `${this.name} says ${id}` };
    this.sent.set(id, sent);
    this.outbox.add(id);
    if (this.isReady()) this.raw({ type: 'send', id, ...sent });
    return id;
  }

  /** Queues a change (edit, delete, react): sent now if ready, resent on every connection until acked. */
  change(frame: ChangeRequest): string {
    const id = `${this.name}-${this.nextId++}`;
    const request = { ...frame, id };
    this.changes.set(id, request);
    this.outbox.add(id);
    if (this.isReady()) this.raw(request);
    return id;
  }

  /**
   * Keeps `window` sends in flight while ready (its rooms taken in turn),
   * sending a new one as each ack comes; 0 stops new sends (unacked ones are
   * still resent).
   */
  keepSending(window: number): void {
    this.window = window;
    this.topUp();
  }

  /** Ids sent and not acked (yet). */
  get unacked(): number {
    return this.outbox.size;
  }

  isOpen(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /**
   * Resolves once every room was joined on the current connection (and the
   * unacked sends went out again), bounded. With `'manual'` it rejects when
   * the connection closes first.
   */
  ready(timeoutMs: number): Promise<void> {
    if (this.isReady()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: ReadyWaiter = {
        resolve: () => {
          clearTimeout(timer);
          this.readyWaiters.delete(waiter);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          this.readyWaiters.delete(waiter);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        waiter.reject(
          new Error(`${this.name}: not ready within ${timeoutMs} ms (attempts ${this.attempts.length})`),
        );
      }, timeoutMs);
      this.readyWaiters.add(waiter);
    });
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.ws?.terminate();
  }

  private isReady(): boolean {
    return this.isOpen() && this.token !== undefined && this.joinedRooms.size === this.rooms.size;
  }

  /** The restart hint in force, and until when. */
  private hint: { hint: RestartHint; until: number } | undefined;

  private closed(code: number, reason = ''): void {
    if (this.mode === 'manual') {
      for (const waiter of [...this.readyWaiters]) {
        waiter.reject(new Error(`${this.name}: closed ${code} before ready`));
      }
      return;
    }
    if (this.stopped) return;
    if (FATAL_CLOSE_CODES.includes(code)) {
      this.fatal = code;
      return;
    }
    // A connection that stayed up long enough starts the count again.
    if (this.upSince > 0 && Date.now() - this.upSince >= RECONNECT.RESET_AFTER_MS) this.attempt = 0;
    this.attempt += 1;
    const hint = code === 1001 ? parseRestartHint(reason) : null;
    if (hint) this.hint = { hint, until: Date.now() + RECONNECT.RESTART_PACE_MAX_MS };
    if (this.hint && Date.now() > this.hint.until) this.hint = undefined;
    const paced = this.hint?.hint;
    let delay = paced
      ? paced.retryInMs + this.random() * paced.spreadMs
      : backoffDelay(this.attempt, this.random);
    if (code === 1013) delay = Math.max(delay, RECONNECT.TRY_AGAIN_LATER_MIN_MS);
    this.timer = setTimeout(() => this.connect(delay, paced !== undefined), delay);
  }

  private connect(delayMs: number, hinted = false): void {
    if (this.stopped) return;
    const attempt: Attempt = { at: Date.now(), n: Math.max(1, this.attempt), delayMs, hinted, ok: false };
    this.attempts.push(attempt);
    const ws = new WebSocket(this.url, { handshakeTimeout: this.handshakeTimeoutMs });
    this.ws = ws;
    this.joinedRooms = new Set();
    let opened = false;
    ws.on('open', () => {
      opened = true;
      attempt.ok = true;
      this.upSince = Date.now();
      this.raw({
        type: 'hello',
        v: PROTOCOL_VERSION,
        name: this.name,
        ...(this.token ? { token: this.token } : {}),
      });
    });
    ws.on('message', (data: Buffer) => this.onFrame(data.toString('utf8')));
    ws.on('error', () => undefined);
    ws.on('close', (code: number, reason: Buffer) => {
      if (opened) this.closes.push(code);
      if (this.ws === ws) this.closed(opened ? code : 1006, reason.toString('utf8'));
    });
  }

  private sendJoin(room: string): void {
    const state = this.rooms.get(room);
    const resume = state?.since !== undefined && state.epoch !== undefined;
    this.raw({ type: 'join', room, ...(resume ? { since: state.since, epoch: state.epoch } : {}) });
  }

  private raw(frame: object): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame));
  }

  private topUp(): void {
    if (!this.isReady()) return;
    const rooms = [...this.rooms.keys()];
    if (rooms.length === 0) return;
    while (this.outbox.size < this.window) {
      const change = this.chooseChange?.(this);
      if (change) this.change(change);
      else this.send(rooms[this.nextId % rooms.length]!);
    }
  }

  private onFrame(text: string): void {
    const parsed = parseServerMessage(text);
    if (!parsed.ok) {
      this.problems.push(`${this.name}: not a protocol frame: ${text.slice(0, 200)}`);
      return;
    }
    const m: ServerMessage = parsed.message;
    switch (m.type) {
      case 'welcome':
        // Back: a restart hint has done its job.
        this.hint = undefined;
        this.token = m.token;
        this.userId = m.user.id;
        if (this.rooms.size === 0) this.becameReady();
        for (const room of this.rooms.keys()) this.sendJoin(room);
        return;
      case 'joined': {
        const state = this.rooms.get(m.room);
        if (state) {
          if (state.epoch !== m.epoch) state.since = undefined;
          state.epoch = m.epoch;
          state.since = Math.max(state.since ?? 0, m.messages.at(-1)?.seq ?? 0);
        }
        this.joinedRooms.add(m.room);
        if (this.joinedRooms.size === this.rooms.size) this.becameReady();
        return;
      }
      case 'message': {
        const state = this.rooms.get(m.room);
        if (state) state.since = Math.max(state.since ?? 0, m.seq);
        return;
      }
      case 'ack': {
        this.outbox.delete(m.id);
        const first = this.acked.get(m.id);
        if (first === undefined) this.acked.set(m.id, { room: m.room, seq: m.seq });
        else if (first.room !== m.room || first.seq !== m.seq) {
          this.problems.push(`${m.id} acked as ${first.room}:${first.seq}, then ${m.room}:${m.seq}`);
        }
        this.topUp();
        return;
      }
      case 'error':
        this.problems.push(`${this.name}: error ${m.code}: ${m.message}`);
        return;
      default:
        return;
    }
  }

  private becameReady(): void {
    this.readyAt.push(Date.now());
    for (const id of this.outbox)
      this.raw(this.changes.get(id) ?? { type: 'send', id, ...this.sent.get(id)! });
    for (const waiter of [...this.readyWaiters]) waiter.resolve();
    this.topUp();
  }
}
