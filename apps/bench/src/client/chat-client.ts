/**
 * One benchmark client: a `LeanWs` plus the session of its dialect (hello,
 * join one room, send, acks). It parses JSON only where a metric needs it
 * (a welcome's token, a resumed join's page); everything else is classified
 * by a byte or two.
 *
 * A Tether client sends its join right behind its hello, as the web client
 * does (apps/web net/ChatClient.ts, `#openSession`): the protocol answers a
 * connection's requests in order, so a connect costs one round trip. A join
 * refused with the hello (`not_authenticated`) goes out again on welcome.
 */
import {
  PATHS,
  classify,
  helloFrame,
  joinFrame,
  numberAfter,
  sendFrame,
  socketIoAckId,
  tetherId,
  type DialectName,
} from './dialect.js';
import { LeanWs, type ReadMode, type WsHandler } from './lean-ws.js';

export interface ChatClientOptions {
  dialect: DialectName;
  host: string;
  port: number;
  name: string;
  room: string;
  connectTimeoutMs: number;
  /** Socket.IO sends ask for an ack (the SQLite server answers once stored). */
  socketIoAcks: boolean;
  /** Keep the room cursor (Tether seq, Socket.IO + SQLite row id) and parse resumed pages. */
  trackCursor: boolean;
}

export interface ChatClientEvents {
  /**
   * The connection counts as made, for the reconnect policy: welcomed
   * (tether), Engine.IO open (socketio), upgraded (naive).
   */
  connected(client: ChatClient): void;
  /** The room was joined (first time or after a reconnect); `page` holds a resumed join's messages. */
  ready(client: ChatClient, page: readonly HistoryMessage[]): void;
  /** A chat message frame (only in `inspect` mode). */
  message(client: ChatClient, buf: Buffer, start: number, end: number): void;
  ack(client: ChatClient, id: string): void;
  /** An error frame answering a send (Tether), with the send's id when given. */
  refused(client: ChatClient, id: string | undefined, code: string): void;
  /** `reason`: the close frame's reason ('' if none), e.g. a Tether restart hint. */
  closed(client: ChatClient, code: number, opened: boolean, reason: string): void;
}

export interface HistoryMessage {
  text: string;
  cursor: number;
}

const SEQ_KEY = Buffer.from('"seq":');
const ROW_KEY = Buffer.from('"id":');
const MEMBER_COUNT_KEY = Buffer.from('"memberCount":');

interface TetherJoined {
  epoch?: string;
  messages?: { seq: number; text: string }[];
}

export class ChatClient implements WsHandler {
  ws: LeanWs | undefined;
  token: string | undefined;
  joined = false;
  /** Last seq (Tether) or row id (Socket.IO + SQLite) seen in the room. */
  cursor = 0;
  epoch: string | undefined;
  /** `memberCount` of the last Tether `joined` (undefined before one, or if it had none). */
  memberCount: number | undefined;
  /** Set by the owner: which read mode to switch to once joined. */
  modeAfterJoin: ReadMode = 'inspect';
  private nextAckId = 1;
  private renames = 0;
  /** The name in use: `options.name`, or another if that one was taken. */
  private name: string;
  private joinAckId = 0;
  /** Tether: the join went out on this connection (behind the hello) and was not refused with it. */
  private joinSent = false;
  private readonly sendAcks = new Map<number, string>();

  constructor(
    readonly index: number,
    readonly options: ChatClientOptions,
    private readonly events: ChatClientEvents,
  ) {
    this.name = options.name;
  }

  get room(): string {
    return this.options.room;
  }

  get isOpen(): boolean {
    return this.ws?.isOpen ?? false;
  }

  connect(): void {
    this.joined = false;
    this.joinSent = false;
    this.sendAcks.clear();
    const { host, port, dialect, connectTimeoutMs } = this.options;
    this.ws = new LeanWs({ host, port, path: PATHS[dialect], connectTimeoutMs }, this);
  }

  send(id: string, text: string): void {
    const ws = this.ws;
    if (!ws?.isOpen) return;
    let ackId = -1;
    if (this.options.dialect === 'socketio' && this.options.socketIoAcks) {
      ackId = this.nextAckId++;
      this.sendAcks.set(ackId, id);
    }
    ws.sendText(sendFrame(this.options.dialect, this.options.room, id, text, ackId));
  }

  close(): void {
    this.ws?.close(1000);
  }

  onOpen(): void {
    const ws = this.ws as LeanWs;
    switch (this.options.dialect) {
      case 'tether':
        ws.sendText(helloFrame(this.name, this.token));
        this.join();
        return;
      case 'naive':
        this.events.connected(this);
        this.join();
        return;
      case 'socketio':
        return; // waits for the Engine.IO open packet
    }
  }

  private join(): void {
    this.joinSent = true;
    this.joinAckId = this.nextAckId++;
    const resume = this.options.trackCursor && (this.cursor > 0 || this.epoch !== undefined);
    (this.ws as LeanWs).sendText(
      joinFrame(
        this.options.dialect,
        this.options.room,
        this.joinAckId,
        resume || (this.options.trackCursor && this.options.dialect === 'socketio')
          ? { cursor: this.cursor, epoch: this.epoch }
          : undefined,
      ),
    );
  }

  private becomeReady(page: readonly HistoryMessage[]): void {
    this.joined = true;
    (this.ws as LeanWs).mode = this.modeAfterJoin;
    this.events.ready(this, page);
  }

  onText(buf: Buffer, start: number, end: number): void {
    const dialect = this.options.dialect;
    const kind = classify(dialect, buf, start, end);
    switch (kind) {
      case 'message':
        if (this.options.trackCursor) {
          const cursor = numberAfter(buf, start, end, dialect === 'tether' ? SEQ_KEY : ROW_KEY);
          if (cursor > this.cursor) this.cursor = cursor;
        }
        this.events.message(this, buf, start, end);
        return;
      case 'ack':
        this.onAck(buf, start, end);
        return;
      case 'error':
        this.onError(buf, start, end);
        return;
      case 'welcome': {
        const welcome = JSON.parse(buf.toString('utf8', start, end)) as { token?: string };
        this.token = welcome.token;
        this.events.connected(this);
        if (!this.joinSent) this.join();
        return;
      }
      case 'joined':
        this.onJoined(buf, start, end);
        return;
      case 'eio-open':
        this.events.connected(this);
        (this.ws as LeanWs).sendText('40');
        return;
      case 'eio-ping':
        (this.ws as LeanWs).sendText('3');
        return;
      case 'sio-connect':
        this.join();
        return;
      case 'other':
        return;
    }
  }

  private onAck(buf: Buffer, start: number, end: number): void {
    if (this.options.dialect === 'socketio') {
      const ackId = socketIoAckId(buf, start, end);
      if (ackId === this.joinAckId && !this.joined) {
        this.becomeReady([]);
        return;
      }
      const id = this.sendAcks.get(ackId);
      if (id !== undefined) {
        this.sendAcks.delete(ackId);
        this.events.ack(this, id);
      }
      return;
    }
    const id = tetherId(buf, start, end);
    if (id !== undefined) this.events.ack(this, id);
  }

  private onError(buf: Buffer, start: number, end: number): void {
    if (this.options.dialect === 'socketio') {
      this.events.refused(this, undefined, 'connect_error');
      return;
    }
    const error = JSON.parse(buf.toString('utf8', start, end)) as { code?: string; id?: string };
    if (!this.joined && error.code === 'not_authenticated') {
      // The join behind a refused hello: the welcome sends it again.
      this.joinSent = false;
      return;
    }
    if (!this.joined && error.code === 'invalid_token') {
      // The server forgot us (a fresh database): start over as a new user.
      this.token = undefined;
      this.epoch = undefined;
      (this.ws as LeanWs).sendText(helloFrame(this.name, undefined));
      return;
    }
    if (!this.joined && this.token === undefined && error.code === 'name_taken') {
      // An earlier attempt's hello created our user but its welcome was lost
      // with the connection: take another name, as a person would.
      this.renames++;
      this.name = `${this.options.name}r${this.renames}`;
      (this.ws as LeanWs).sendText(helloFrame(this.name, undefined));
    }
    this.events.refused(this, error.id, error.code ?? 'unknown');
  }

  private onJoined(buf: Buffer, start: number, end: number): void {
    if (this.joined) return; // a repeated answer
    if (this.options.dialect === 'tether') {
      const count = numberAfter(buf, start, end, MEMBER_COUNT_KEY);
      this.memberCount = count < 0 ? undefined : count;
    }
    if (!this.options.trackCursor || this.options.dialect !== 'tether') {
      this.becomeReady([]);
      return;
    }
    const joined = JSON.parse(buf.toString('utf8', start, end)) as TetherJoined;
    const fresh = joined.epoch !== this.epoch;
    this.epoch = joined.epoch;
    const page = (joined.messages ?? []).map((m) => ({ text: m.text, cursor: m.seq }));
    // Another epoch means the history was reset: what was kept does not apply.
    if (fresh) this.cursor = 0;
    for (const m of page) if (m.cursor > this.cursor) this.cursor = m.cursor;
    this.becomeReady(page);
  }

  onClose(code: number, opened: boolean, reason: string): void {
    this.joined = false;
    this.events.closed(this, code, opened, reason);
  }
}
