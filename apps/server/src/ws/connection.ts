/**
 * One WebSocket connection as the chat sees it (a `Peer`), with its outbound
 * queue. Frames written during one turn of the event loop are queued and go
 * out in one corked write on the next `setImmediate`, so a busy room costs
 * one syscall per socket per turn, not one per message. While the socket
 * cannot take more (the kernel buffer is full), frames wait here as
 * references to their shared buffers and go out in one write on `drain`.
 */
import type { Duplex } from 'node:stream';

import { CLOSE_CODES, LIMITS, type CloseCode } from '@tether/protocol';
import WebSocket from 'ws';

import type { ConnectionSession, Frame, Peer } from '../chat/ports.js';
import { isWireFrame } from './frame.js';
import { MessageClock } from './message-clock.js';

let nextId = 1;

/** Flushes every marked connection together, once `schedule` calls back. */
class FlushScheduler {
  private readonly marked = new Set<Connection>();
  private scheduled = false;
  private readonly run = (): void => {
    this.scheduled = false;
    const batch = [...this.marked];
    this.marked.clear();
    for (const connection of batch) connection.flush();
  };

  constructor(private readonly schedule: (run: () => void) => void) {}

  mark(connection: Connection): void {
    this.marked.add(connection);
    if (!this.scheduled) {
      this.scheduled = true;
      this.schedule(this.run);
    }
  }
}

/** Frames written during one turn of the event loop go out together on the next. */
const scheduler = new FlushScheduler((run) => setImmediate(run));
/**
 * Connections whose queue holds only frames that may wait (presence, roster,
 * typing) are flushed every PRESENCE_HOLD_MS (or with the next message): a
 * burst of joins then costs each socket one write per interval instead of
 * one per turn of the event loop.
 */
const soonScheduler = new FlushScheduler((run) => setTimeout(run, LIMITS.PRESENCE_HOLD_MS));

/**
 * What the gateway does with a connection's events: one object for all
 * connections, so a connection holds no closures of its own.
 */
export interface ConnectionEvents {
  now(): number;
  /** A complete text frame arrived (binary frames close the connection first). */
  onText(connection: Connection, text: string): void;
  /** ws reported a protocol error; it closes the socket itself. */
  onError(connection: Connection, error: Error & { code?: string }): void;
  onClose(connection: Connection, code: number): void;
  /** The peer left more than `SLOW_CONSUMER_BYTES` unsent. */
  onSlowConsumer(connection: Connection): void;
}

/** The connection a ws or its socket belongs to, for the shared listeners below. */
const CONNECTION = Symbol('tether.connection');
type Owned<T> = T & { [CONNECTION]: Connection };

function connectionOf(emitter: WebSocket | Duplex): Connection {
  return (emitter as Owned<WebSocket | Duplex>)[CONNECTION];
}

// Listeners shared by every connection (EventEmitter calls them with `this`
// set to the emitter).
function onSocketData(this: Duplex, chunk: Buffer): void {
  const connection = connectionOf(this);
  const now = connection.events.now();
  // Any bytes are a sign of life: frames, pings and pongs alike. (A client
  // flooding pings without reading the pongs is terminated by ws itself:
  // more than 60 pongs pending, its maxPendingAutoPongs.)
  connection.lastSeen = now;
  connection.inbound.push(chunk, now);
}

function onMessage(this: WebSocket, data: Buffer, isBinary: boolean): void {
  const connection = connectionOf(this);
  if (isBinary) connection.close(CLOSE_CODES.UNSUPPORTED_DATA, 'binary frames are not supported');
  else connection.events.onText(connection, data.toString('utf8'));
}

function onError(this: WebSocket, error: Error & { code?: string }): void {
  const connection = connectionOf(this);
  connection.events.onError(connection, error);
}

function onClose(this: WebSocket, code: number): void {
  const connection = connectionOf(this);
  connection.socket.off('data', onSocketData);
  connection.events.onClose(connection, code);
}

function onDrain(this: Duplex): void {
  const connection = connectionOf(this);
  connection.drained();
}

export class Connection implements Peer {
  readonly id = nextId++;
  /** When the last bytes (a frame, ping or pong) arrived (heartbeat). */
  lastSeen: number;
  /** When the message the client is sending began (heartbeat). */
  readonly inbound = new MessageClock();
  /** The chat session on this connection; set by the gateway right after. */
  session: ConnectionSession | undefined;
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private terminated = false;
  private awaitingDrain = false;

  constructor(
    readonly ws: WebSocket,
    /** The raw socket under `ws`: complete frames are written to it directly. */
    readonly socket: Duplex,
    readonly events: ConnectionEvents,
    /** The client's address (the socket's, or the one a trusted proxy named). */
    readonly address: string,
  ) {
    this.lastSeen = events.now();
    (ws as Owned<WebSocket>)[CONNECTION] = this;
    (socket as Owned<Duplex>)[CONNECTION] = this;
    ws.on('message', onMessage);
    ws.on('error', onError);
    ws.on('close', onClose);
    // Added after ws's own listener, so the bytes it was handed with the
    // upgrade (`head`, unshifted back onto the socket) reach both.
    socket.on('data', onSocketData);
  }

  write(frame: Frame, soon = false): void {
    if (this.ws.readyState !== WebSocket.OPEN || !isWireFrame(frame)) return;
    this.queue.push(frame.bytes);
    if (frame.more) for (const chunk of frame.more) this.queue.push(chunk);
    this.queuedBytes += frame.byteLength;
    if (this.queuedBytes + this.socket.writableLength > LIMITS.SLOW_CONSUMER_BYTES) {
      this.terminate();
      this.events.onSlowConsumer(this);
      return;
    }
    if (soon) soonScheduler.mark(this);
    else scheduler.mark(this);
  }

  /** Writes the queued frames in one corked batch (`force`: even if the socket is backed up). */
  flush(force = false): void {
    if (this.queue.length === 0 || (this.awaitingDrain && !force)) return;
    if (!force && this.socket.writableNeedDrain) {
      this.awaitingDrain = true;
      this.socket.once('drain', onDrain);
      return;
    }
    const queue = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    if (this.ws.readyState !== WebSocket.OPEN) return;
    if (queue.length === 1) {
      this.socket.write(queue[0]);
      return;
    }
    this.socket.cork();
    for (const bytes of queue) this.socket.write(bytes);
    this.socket.uncork();
  }

  /**
   * Resolves once the socket took what it was waiting to send ('drain'), or
   * the connection closed. With nothing backed up in the socket, what is
   * queued goes out on the next turn: it resolves after that.
   */
  whenDrained(): Promise<void> {
    if (this.ws.readyState !== WebSocket.OPEN) return Promise.resolve();
    if (!this.awaitingDrain && !this.socket.writableNeedDrain) {
      return new Promise((resolve) => setImmediate(resolve));
    }
    return new Promise((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.ws.off('close', done);
        resolve();
      };
      this.socket.once('drain', done);
      this.ws.once('close', done);
    });
  }

  /** The socket took what it had buffered: send what waited meanwhile. */
  drained(): void {
    this.awaitingDrain = false;
    this.flush();
  }

  close(code: CloseCode, reason: string): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    // What was queued before the close (an error explaining it) goes first.
    this.flush(true);
    this.ws.close(code, reason);
  }

  /** Drops the connection without a close handshake. */
  terminate(): void {
    this.terminated = true;
    this.queue = [];
    this.queuedBytes = 0;
    this.ws.terminate();
  }

  get wasTerminated(): boolean {
    return this.terminated;
  }

  /** Bytes queued here or in the socket, not yet sent. */
  get unsentBytes(): number {
    return this.queuedBytes + this.socket.writableLength;
  }
}
