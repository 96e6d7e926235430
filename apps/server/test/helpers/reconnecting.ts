/**
 * A small reconnecting client that follows PROTOCOL.md › Reconnect, for tests
 * of what happens around a restart:
 *
 * - attempt n waits a random time in [0, min(10 s, 0.5 s × 2^(n-1))] (full
 *   jitter); the count resets once a connection stayed up 10 s;
 * - after 1013 the next attempt waits at least 5 s; 1002, 1003, 1008 and
 *   1009 end the client (reported, not retried);
 * - on each connection: hello with its token, join every room with since and
 *   epoch, then resend every unacked send with its original id.
 *
 * It records when each attempt was made and whether it succeeded, so a test
 * can show that many clients do not come back all at once.
 */
import {
  FATAL_CLOSE_CODES,
  PROTOCOL_VERSION,
  RECONNECT,
  parseServerMessage,
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
  ok: boolean;
}

interface Outgoing {
  room: string;
  text: string;
}

/** Full jitter: a random delay in [0, min(10 s, 0.5 s × 2^(n-1))]. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const cap = Math.min(RECONNECT.MAX_DELAY_MS, RECONNECT.BASE_DELAY_MS * 2 ** (attempt - 1));
  return random() * cap;
}

export class ReconnectingClient {
  readonly attempts: Attempt[] = [];
  /** Close codes of every connection this client had, in order. */
  readonly closes: number[] = [];
  /** Date.now() of every `joined` of every room after a (re)connect, in order. */
  readonly readyAt: number[] = [];
  /** id → seq of its first ack. */
  readonly acked = new Map<string, number>();
  /** Frames that are not in PROTOCOL.md or errors the test did not expect. */
  readonly problems: string[] = [];
  /** Set when a close it must not retry ended the client. */
  fatal: number | undefined;
  token: string | undefined;
  userId: string | undefined;

  private ws: WebSocket | undefined;
  private readonly rooms = new Map<string, { since: number | undefined; epoch: string | undefined }>();
  private readonly outbox = new Map<string, Outgoing>();
  private nextId = 0;
  private attempt = 0;
  private upSince = 0;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly joinedWaiters = new Set<() => void>();

  constructor(
    private readonly url: string,
    readonly name: string,
    private readonly random: () => number = Math.random,
  ) {}

  /** Connects now (attempt 1 without delay), then keeps reconnecting until `stop`. */
  start(): void {
    this.connect(0);
  }

  /** Adds a room to join on every connection. */
  join(room: string): void {
    if (!this.rooms.has(room)) this.rooms.set(room, { since: undefined, epoch: undefined });
    if (this.isReady()) this.sendJoin(room);
  }

  /** Queues a message; it is sent now if connected and resent after every reconnect until acked. */
  send(room: string, text: string): string {
    const id = `${this.name}-${this.nextId++}`;
    this.outbox.set(id, { room, text });
    if (this.isReady()) this.raw({ type: 'send', room, id, text });
    return id;
  }

  get unacked(): number {
    return this.outbox.size;
  }

  isOpen(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** Resolves once every room was joined on the current connection, bounded. */
  ready(timeoutMs: number): Promise<void> {
    if (this.isReady()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.joinedWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(() => {
        this.joinedWaiters.delete(done);
        reject(
          new Error(`${this.name}: not ready within ${timeoutMs} ms (attempts ${this.attempts.length})`),
        );
      }, timeoutMs);
      this.joinedWaiters.add(done);
    });
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.ws?.terminate();
  }

  private joinedRooms = new Set<string>();

  private isReady(): boolean {
    return this.isOpen() && this.token !== undefined && this.joinedRooms.size === this.rooms.size;
  }

  private schedule(closeCode: number): void {
    if (this.stopped) return;
    if (FATAL_CLOSE_CODES.includes(closeCode)) {
      this.fatal = closeCode;
      return;
    }
    // A connection that stayed up long enough starts the count again.
    if (this.upSince > 0 && Date.now() - this.upSince >= RECONNECT.RESET_AFTER_MS) this.attempt = 0;
    this.attempt += 1;
    let delay = backoffDelay(this.attempt, this.random);
    if (closeCode === 1013) delay = Math.max(delay, RECONNECT.TRY_AGAIN_LATER_MIN_MS);
    this.timer = setTimeout(() => this.connect(delay), delay);
  }

  private connect(delayMs: number): void {
    if (this.stopped) return;
    const attempt: Attempt = { at: Date.now(), n: Math.max(1, this.attempt), delayMs, ok: false };
    this.attempts.push(attempt);
    const ws = new WebSocket(this.url, { handshakeTimeout: 5000 });
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
    ws.on('close', (code: number) => {
      if (opened) this.closes.push(code);
      if (this.ws === ws) this.schedule(opened ? code : 1006);
    });
  }

  private sendJoin(room: string): void {
    const state = this.rooms.get(room);
    const resume = state?.since !== undefined && state.epoch !== undefined;
    this.raw({ type: 'join', room, ...(resume ? { since: state.since, epoch: state.epoch } : {}) });
  }

  private raw(frame: Record<string, unknown>): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame));
  }

  private onFrame(text: string): void {
    const parsed = parseServerMessage(text);
    if (!parsed.ok) {
      this.problems.push(`not a protocol frame: ${text.slice(0, 200)}`);
      return;
    }
    const m: ServerMessage = parsed.message;
    switch (m.type) {
      case 'welcome':
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
        if (first !== undefined && first !== m.seq)
          this.problems.push(`${m.id} acked as ${first}, then ${m.seq}`);
        if (first === undefined) this.acked.set(m.id, m.seq);
        return;
      }
      case 'error':
        this.problems.push(`error ${m.code}: ${m.message}`);
        return;
      default:
        return;
    }
  }

  private becameReady(): void {
    this.readyAt.push(Date.now());
    for (const [id, { room, text }] of this.outbox) this.raw({ type: 'send', room, id, text });
    for (const waiter of [...this.joinedWaiters]) waiter();
  }
}
