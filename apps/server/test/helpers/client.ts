/**
 * A small test client over `ws` that knows only the wire protocol.
 *
 * Every frame the server sends is decoded with the protocol's own server
 * schemas; a frame that does not fit is kept and reported when a test takes
 * it, so a shape violation names itself instead of surfacing as an odd
 * `undefined` somewhere later. Every wait is bounded.
 */
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

import {
  LIMITS,
  parseServerMessage,
  PROTOCOL_VERSION,
  type ErrorCode,
  type Message,
  type ServerMessage,
  type ServerMessageOf,
  type ServerMessageType,
  type User,
} from '@tether/protocol';
import WebSocket from 'ws';

/**
 * How long a wait for a frame may take by default: a bound for a hung server,
 * not a speed requirement, so it leaves room for a loaded machine whose
 * commits take hundreds of ms. Tests that mean "at once" say so themselves.
 */
export const DEFAULT_WAIT_MS = 5000;

/**
 * How long a check that some presence, roster or typing frame does NOT come
 * must watch: the server may hold those PRESENCE_HOLD_MS, and a shorter
 * check would pass whatever the server did.
 */
export const HOLD_WINDOW_MS = LIMITS.PRESENCE_HOLD_MS + 300;

export interface CloseInfo {
  code: number;
  reason: string;
}

export interface ConnectOptions {
  /** Sent as the `Origin` header; without it no `Origin` is sent (a non-browser client). */
  origin?: string;
  /** `false` leaves WebSocket pings unanswered (a dead peer). Default true. */
  autoPong?: boolean;
  headers?: Record<string, string>;
  /** Bound on the handshake. */
  timeoutMs?: number;
}

type AnyFrame = Record<string, unknown>;

interface Waiter {
  match: (frame: ServerMessage) => boolean;
  resolve: (frame: ServerMessage) => void;
  reject: (error: Error) => void;
}

let idCounter = 0;
/** A message id unique within this test process. */
export function newId(prefix = 'c'): string {
  idCounter += 1;
  return `${prefix}_${process.pid}_${idCounter}_${Math.random().toString(36).slice(2, 8)}`;
}

function describeFrame(frame: unknown): string {
  const text = JSON.stringify(frame);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

export class TestClient implements AsyncDisposable {
  /** Every frame received, in order, consumed or not. */
  readonly received: ServerMessage[] = [];
  /** Times (Date.now()) at which a WebSocket ping frame arrived. */
  readonly pings: number[] = [];
  /** The user and token of the last successful `hello`. */
  user: User | undefined;
  token: string | undefined;

  private readonly pending: ServerMessage[] = [];
  private readonly waiters = new Set<Waiter>();
  private readonly violations = new Map<ServerMessage, string>();
  private closeInfo: CloseInfo | undefined;
  private tcp: Socket | undefined;
  private readonly closeListeners = new Set<(info: CloseInfo) => void>();

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      this.onFrame(data, isBinary);
    });
    ws.on('upgrade', (response) => {
      this.tcp = response.socket;
    });
    ws.on('ping', () => {
      this.pings.push(Date.now());
    });
    ws.on('close', (code, reason) => {
      const info = { code, reason: reason.toString('utf8') };
      this.closeInfo = info;
      for (const listener of this.closeListeners) listener(info);
      this.closeListeners.clear();
      for (const waiter of this.waiters) {
        waiter.reject(new Error(`connection closed (${code} ${info.reason}) while waiting`));
      }
      this.waiters.clear();
    });
    // Errors surface through `close`; an unhandled 'error' would crash the worker.
    ws.on('error', () => undefined);
  }

  /** Opens a WebSocket; rejects (naming the HTTP status) when the upgrade is refused. */
  static connect(url: string, options: ConnectOptions = {}): Promise<TestClient> {
    const timeoutMs = options.timeoutMs ?? 5000;
    const ws = new WebSocket(url, {
      ...(options.origin === undefined ? {} : { origin: options.origin }),
      ...(options.headers ? { headers: options.headers } : {}),
      autoPong: options.autoPong ?? true,
      handshakeTimeout: timeoutMs,
    });
    // The frame listeners go on before `open`, so nothing sent right after the
    // handshake (a 1013 close, say) is missed.
    const client = new TestClient(ws);
    return new Promise<TestClient>((resolve, reject) => {
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error(`connect ${url}: no handshake within ${timeoutMs} ms`));
      }, timeoutMs);
      ws.once('open', () => {
        clearTimeout(timer);
        resolve(client);
      });
      ws.once('unexpected-response', (_req, res) => {
        clearTimeout(timer);
        res.resume();
        ws.terminate();
        reject(new UpgradeRefused(url, res.statusCode ?? 0));
      });
      ws.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends one object as a JSON text frame. Deliberately loose: tests send wrong shapes too. */
  send(frame: AnyFrame): void {
    this.ws.send(JSON.stringify(frame));
  }

  /** Sends a string as a text frame or a Buffer as a binary frame, unmodified. */
  sendRaw(data: string | Buffer): void {
    this.ws.send(data, { binary: typeof data !== 'string' });
  }

  /** Waits for the next frame, or the next one of one of `types`; others stay queued. */
  next(timeoutMs?: number): Promise<ServerMessage>;
  next<T extends ServerMessageType>(type: T | readonly T[], timeoutMs?: number): Promise<ServerMessageOf<T>>;
  next(
    typeOrTimeout?: ServerMessageType | readonly ServerMessageType[] | number,
    timeoutMs = DEFAULT_WAIT_MS,
  ): Promise<ServerMessage> {
    if (typeof typeOrTimeout === 'number' || typeOrTimeout === undefined) {
      return this.nextWhere(() => true, typeOrTimeout ?? timeoutMs, 'any frame');
    }
    const types: readonly string[] = typeof typeOrTimeout === 'string' ? [typeOrTimeout] : typeOrTimeout;
    return this.nextWhere((f) => types.includes(f.type), timeoutMs, `a frame of type ${types.join('|')}`);
  }

  /** Waits for the next `error` frame and checks its code. */
  async nextError(code: ErrorCode, timeoutMs = DEFAULT_WAIT_MS): Promise<ServerMessageOf<'error'>> {
    const error = await this.next('error', timeoutMs);
    if (error.code !== code) {
      throw new Error(`expected error ${code}, got ${describeFrame(error)}; received so far:\n${this.log()}`);
    }
    return error;
  }

  /** Waits for the next queued or arriving frame that satisfies `match`. */
  nextWhere<T extends ServerMessage = ServerMessage>(
    match: (frame: ServerMessage) => boolean,
    timeoutMs = DEFAULT_WAIT_MS,
    what = 'a matching frame',
  ): Promise<T> {
    const index = this.pending.findIndex(match);
    if (index >= 0) {
      const [frame] = this.pending.splice(index, 1);
      return Promise.resolve(this.take(frame!) as T);
    }
    if (this.closeInfo) {
      return Promise.reject(
        new Error(
          `waited for ${what} on a closed connection (${this.closeInfo.code}); received so far:\n${this.log()}`,
        ),
      );
    }
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = {
        match,
        resolve: (frame) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          try {
            resolve(this.take(frame) as T);
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        },
        reject: (error) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          reject(new Error(`${error.message} for ${what}; received so far:\n${this.log()}`));
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`no ${what} within ${timeoutMs} ms; received so far:\n${this.log()}`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Collects `count` frames matching `match` (e.g. 20 acks), bounded per frame. */
  async collect<T extends ServerMessage>(
    count: number,
    match: (frame: ServerMessage) => frame is T,
    timeoutMs = DEFAULT_WAIT_MS,
    what = 'a matching frame',
  ): Promise<T[]> {
    const out: T[] = [];
    for (let i = 0; i < count; i++) {
      out.push(await this.nextWhere<T>(match, timeoutMs, `${what} (${i + 1} of ${count})`));
    }
    return out;
  }

  /** Fails when a frame (of `type`, if given) is queued now or arrives within `ms`. */
  async expectNoFrame(type?: ServerMessageType, ms = 300): Promise<void> {
    await sleep(ms);
    const found = this.pending.find((f) => type === undefined || f.type === type);
    if (found) {
      throw new Error(`expected no ${type ?? 'frame'} within ${ms} ms, got ${describeFrame(found)}`);
    }
  }

  /** Drops every queued frame (e.g. the echo of messages a test sent to fill a room). */
  clear(): void {
    this.pending.length = 0;
  }

  /** Drops the queued frames of one type (e.g. the room's chatter during a load loop). */
  discard(type: ServerMessageType): void {
    for (let i = this.pending.length - 1; i >= 0; i--) {
      if (this.pending[i]!.type === type) this.pending.splice(i, 1);
    }
  }

  /** Frames received and not yet taken. */
  queued(): readonly ServerMessage[] {
    return this.pending;
  }

  /** Resolves with the close code and reason once the connection is closed. */
  closed(timeoutMs = DEFAULT_WAIT_MS): Promise<CloseInfo> {
    if (this.closeInfo) return Promise.resolve(this.closeInfo);
    return new Promise<CloseInfo>((resolve, reject) => {
      const listener = (info: CloseInfo) => {
        clearTimeout(timer);
        resolve(info);
      };
      const timer = setTimeout(() => {
        this.closeListeners.delete(listener);
        reject(new Error(`connection still open after ${timeoutMs} ms; received so far:\n${this.log()}`));
      }, timeoutMs);
      this.closeListeners.add(listener);
    });
  }

  /** Sends `hello` and resolves with the `welcome`; an `error` answer rejects. */
  async hello(
    name: string,
    token?: string,
    timeoutMs = DEFAULT_WAIT_MS,
  ): Promise<ServerMessageOf<'welcome'>> {
    this.send({ type: 'hello', v: PROTOCOL_VERSION, name, ...(token === undefined ? {} : { token }) });
    const answer = await this.next(['welcome', 'error'], timeoutMs);
    if (answer.type === 'error') {
      throw new Error(`hello ${JSON.stringify(name)} answered ${describeFrame(answer)}`);
    }
    this.user = answer.user;
    this.token = answer.token;
    return answer;
  }

  /** Sends `join` and resolves with the `joined` for that room. */
  async join(room: string, resume?: { since: number; epoch: string }): Promise<ServerMessageOf<'joined'>> {
    this.send({ type: 'join', room, ...resume });
    return this.nextWhere<ServerMessageOf<'joined' | 'error'>>(
      (f) => (f.type === 'joined' && f.room === room) || (f.type === 'error' && f.room === room),
      DEFAULT_WAIT_MS,
      `joined ${room}`,
    ).then((f) => {
      if (f.type !== 'joined') throw new Error(`join ${room} answered ${describeFrame(f)}`);
      return f;
    });
  }

  /** Sends one message and resolves with its `ack`. */
  async say(room: string, text: string, id = newId()): Promise<ServerMessageOf<'ack'>> {
    this.send({ type: 'send', room, id, text });
    const answer = await this.nextWhere(
      (f) => (f.type === 'ack' || f.type === 'error') && f.id === id,
      DEFAULT_WAIT_MS,
      `ack of ${id}`,
    );
    if (answer.type !== 'ack') throw new Error(`send ${id} answered ${describeFrame(answer)}`);
    return answer;
  }

  /**
   * Sends `count` messages without waiting in between and resolves with their
   * acks in send order; the echoed `message` frames are dropped.
   */
  async fill(room: string, count: number, prefix = newId('fill')): Promise<ServerMessageOf<'ack'>[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const id = `${prefix}_${i}`;
      ids.push(id);
      this.send({ type: 'send', room, id, text: `message ${i + 1}` });
    }
    const byId = new Map<string, ServerMessageOf<'ack'>>();
    const wanted = new Set(ids);
    for (let i = 0; i < count; i++) {
      const answer = await this.nextWhere(
        (f) => (f.type === 'ack' || f.type === 'error') && f.id !== undefined && wanted.has(f.id),
        5000,
        `ack ${i + 1} of ${count} in ${room}`,
      );
      if (answer.type !== 'ack') throw new Error(`fill answered ${describeFrame(answer)}`);
      byId.set(answer.id, answer);
    }
    // Our own echoes would only bury the frames a test looks for next.
    for (let i = this.pending.length - 1; i >= 0; i--) {
      const f = this.pending[i]!;
      if (f.type === 'message' && wanted.has(f.id)) this.pending.splice(i, 1);
    }
    return ids.map((id) => byId.get(id)!);
  }

  /** A round trip through the server: proves the connection is open and served. */
  async roundTrip(timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    const t = Math.random();
    this.send({ type: 'ping', t });
    await this.nextWhere((f) => f.type === 'pong' && f.t === t, timeoutMs, `pong ${t}`);
  }

  /** Closes with a close frame (default 1000) and waits for the close to finish. */
  async close(code = 1000): Promise<CloseInfo> {
    if (this.closeInfo) return this.closeInfo;
    if (this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.terminate();
    } else {
      this.ws.close(code);
    }
    return this.closed(3000).catch(() => {
      this.ws.terminate();
      return { code: 1006, reason: 'terminated after close timeout' };
    });
  }

  /** The TCP socket under the WebSocket (to stop reading from it: a slow consumer). */
  socket(): Socket {
    if (!this.tcp) throw new Error('no socket: the upgrade has not completed');
    return this.tcp;
  }

  /** Drops the TCP connection without a close frame (a network failure). */
  terminate(): void {
    this.ws.terminate();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.ws.terminate();
    await Promise.resolve();
  }

  /** Frames received so far, one per line, for failure messages. */
  log(): string {
    if (this.received.length === 0) return '  (none)';
    const lines = this.received.slice(-40).map((f) => `  ${describeFrame(f)}`);
    if (this.received.length > 40) lines.unshift(`  … ${this.received.length - 40} earlier`);
    return lines.join('\n');
  }

  private take(frame: ServerMessage): ServerMessage {
    const violation = this.violations.get(frame);
    if (violation !== undefined) {
      throw new Error(`server frame does not fit the protocol (${violation}): ${describeFrame(frame)}`);
    }
    return frame;
  }

  private onFrame(data: WebSocket.RawData, isBinary: boolean): void {
    const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    const text = buffer.toString('utf8');
    let frame: ServerMessage;
    const decoded = parseServerMessage(text);
    if (decoded.ok && !isBinary) {
      frame = decoded.message;
    } else {
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch {
        raw = { type: 'unparsable', text };
      }
      frame = (typeof raw === 'object' && raw !== null ? raw : { type: 'unparsable', text }) as ServerMessage;
      this.violations.set(frame, isBinary ? 'binary frame' : decoded.ok ? 'unknown' : decoded.error.message);
    }
    this.received.push(frame);
    for (const waiter of this.waiters) {
      if (waiter.match(frame)) {
        waiter.resolve(frame);
        return;
      }
    }
    this.pending.push(frame);
  }
}

export class UpgradeRefused extends Error {
  constructor(
    readonly url: string,
    readonly status: number,
  ) {
    super(`upgrade ${url} refused with HTTP ${status}`);
  }
}

/**
 * The outcome of one upgrade attempt: 101 when a WebSocket opened (it is
 * closed again at once), otherwise the HTTP status of the refusal.
 */
export async function upgradeStatus(url: string, options: ConnectOptions = {}): Promise<number> {
  try {
    const client = await TestClient.connect(url, options);
    client.terminate();
    return 101;
  } catch (error) {
    if (error instanceof UpgradeRefused) return error.status;
    throw error;
  }
}

let readers = 0;

/**
 * Reads a whole room as a new user (reader1, reader2, …): the `joined`, then
 * history pages backwards until `hasMore` is false (at most 1000 pages).
 * `latest` is the room's seq at the join.
 */
export async function readRoom(url: string, room: string): Promise<{ latest: number; messages: Message[] }> {
  const reader = await TestClient.connect(url);
  try {
    readers += 1;
    await reader.hello(`reader${readers}`);
    const joined = await reader.join(room);
    const messages = [...joined.messages];
    let hasMore = joined.hasMore;
    for (let page = 0; hasMore && page < 1000; page++) {
      reader.send({ type: 'history', room, before: messages[0]!.seq, limit: 100 });
      const history = await reader.next('history', 5000);
      messages.unshift(...history.messages);
      hasMore = history.hasMore;
    }
    await reader.close();
    return { latest: joined.seq, messages };
  } finally {
    reader.terminate();
  }
}

/** Type guards for `collect`. */
export const isAck = (f: ServerMessage): f is ServerMessageOf<'ack'> => f.type === 'ack';
export const isMessage = (f: ServerMessage): f is ServerMessageOf<'message'> => f.type === 'message';
export const isError = (f: ServerMessage): f is ServerMessageOf<'error'> => f.type === 'error';
