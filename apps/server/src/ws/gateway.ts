/**
 * The WebSocket endpoint: it decides in the HTTP `upgrade` event who may
 * connect (path, shutdown, Origin) before any handshake, then ties each
 * accepted socket to a chat session, the heartbeat and the connection limit.
 */
import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

import { CLOSE_CODES, LIMITS, WS_PATH, encodeRestartHint } from '@tether/protocol';
import type { Logger } from 'pino';
import WebSocket, { WebSocketServer } from 'ws';

import type { Chat, Clock } from '../chat/ports.js';
import type { Metrics } from '../metrics.js';
import { ClientAddresses } from './client-address.js';
import { Connection, type ConnectionEvents } from './connection.js';
import { Heartbeat } from './heartbeat.js';
import { isOriginAllowed } from './origin.js';

export interface GatewayOptions {
  chat: Chat;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  allowedOrigins: readonly string[];
  maxConnections: number;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  /** Proxies whose X-Forwarded-For names the client. */
  trustedProxies: readonly string[];
  /** The restart hint's `retryInMs`: about how long a restarted server takes to be back. */
  restartRetryMs: number;
}

/**
 * The restart hint's `spreadMs` for `connections` clients: 1 s per 2,000, at
 * least 1 s (a second is what a reconnect storm of a few thousand needs to be
 * served smoothly) and at most 10 s.
 */
export function restartSpreadMs(connections: number): number {
  return Math.min(10_000, Math.max(1000, Math.round(connections / 2)));
}

/**
 * Data frames one message may be split into. Browsers send a message in one
 * frame; ws's own default (16,384) lets a client hold 16,384 Buffers per
 * connection for a message it never finishes.
 */
export const MAX_FRAGMENTS_PER_MESSAGE = 128;

/**
 * Socket reads ws may buffer while waiting for a frame to complete. A frame
 * trickled one byte per TCP segment would otherwise keep up to 64 KiB of
 * one-byte Buffers (ws's default allows 262,144).
 */
export const MAX_BUFFERED_CHUNKS = 1024;

/**
 * Handshakes completed per turn of the event loop; the rest wait for the next
 * turns. After a restart every client comes back at once: taking them all in
 * one turn (and their hellos and joins in the next) would stall the loop for
 * hundreds of milliseconds, pings and acks of everyone included.
 */
export const UPGRADES_PER_TURN = 64;

/**
 * Header lines an upgrade may carry. Browsers send about 15; Node's own limits
 * (16 KB of headers, 2000 lines) would let 2000 short lines through.
 */
export const MAX_UPGRADE_HEADERS = 100;

/** Answers an upgrade with a plain HTTP error and drops the socket. */
function refuse(socket: Duplex, status: number, headers: Record<string, string> = {}): void {
  const reason = STATUS_CODES[status] ?? 'Error';
  const extra = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\n${extra}Content-Length: 0\r\n\r\n`, () =>
    socket.destroy(),
  );
}

/** Until ws takes the socket over: an error (a reset) just drops it. */
function destroyOnError(this: Duplex): void {
  this.destroy();
}

export class Gateway {
  private readonly wss: WebSocketServer;
  private readonly heartbeat: Heartbeat;
  private readonly connections = new Set<Connection>();
  private shuttingDown = false;
  /** From the shutdown on: the 1001 close reason, a restart hint. */
  private goodbye = 'server is shutting down';
  private upgradesThisTurn = 0;
  private readonly waiting: [IncomingMessage, Duplex, Buffer][] = [];
  private turnScheduled = false;
  /** One for every connection (not a closure each). */
  private readonly connectionEvents: ConnectionEvents;
  private readonly addresses: ClientAddresses;

  constructor(private readonly options: GatewayOptions) {
    this.addresses = new ClientAddresses(options.trustedProxies);
    this.connectionEvents = {
      now: () => options.clock.monotonic(),
      onText: (connection, text) => connection.session?.receive(text),
      onError: (connection, error) => {
        // ws closes the socket itself (1009 too big, 1007 bad UTF-8, 1002 bad frame,
        // 1008 too many fragments or buffered chunks).
        options.metrics.transportErrors.inc({ reason: error.code ?? 'unknown' });
        options.log.debug({ conn: connection.id, err: error.message }, 'websocket error');
      },
      onClose: (connection, code) => this.closed(connection, code),
      onSlowConsumer: (slow) => {
        options.metrics.slowConsumerTerminations.inc();
        options.log.info({ conn: slow.id }, 'terminated a slow consumer');
      },
    };
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: LIMITS.MAX_FRAME_BYTES,
      // Beyond either, ws closes with 1008.
      maxFragments: MAX_FRAGMENTS_PER_MESSAGE,
      maxBufferedChunks: MAX_BUFFERED_CHUNKS,
      // Compression is refused: it costs CPU and memory per socket and opens
      // the door to decompression bombs, for little gain on short messages.
      perMessageDeflate: false,
      clientTracking: false,
    });
    this.heartbeat = new Heartbeat({
      intervalMs: options.heartbeatIntervalMs,
      timeoutMs: options.heartbeatTimeoutMs,
      now: () => options.clock.monotonic(),
      onDead: (connection, reason) => {
        options.metrics.heartbeatTerminations.inc();
        if (reason === 'stalled message') options.metrics.transportErrors.inc({ reason: 'stalled_message' });
        options.log.debug({ conn: connection.id, reason }, 'terminated a dead connection');
      },
    });
    this.heartbeat.start();
  }

  /** The `http.Server` 'upgrade' listener. */
  readonly handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', destroyOnError);
    const path = (req.url ?? '').split('?', 1)[0];
    if (path !== WS_PATH) {
      refuse(socket, 404);
      return;
    }
    if (this.shuttingDown) {
      refuse(socket, 503);
      return;
    }
    if (req.rawHeaders.length / 2 > MAX_UPGRADE_HEADERS) {
      refuse(socket, 431);
      return;
    }
    // ws also accepts the pre-standard version 8; RFC 6455 clients send 13.
    if (req.headers['sec-websocket-version'] !== '13') {
      refuse(socket, 426, { 'Sec-WebSocket-Version': '13' });
      return;
    }
    if (!isOriginAllowed(req, this.options.allowedOrigins, this.addresses.scheme(req))) {
      refuse(socket, 403);
      return;
    }
    if (this.upgradesThisTurn >= UPGRADES_PER_TURN || this.waiting.length > 0) {
      this.waiting.push([req, socket, head]);
      this.scheduleTurn();
      return;
    }
    this.upgrade(req, socket, head);
  };

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.upgradesThisTurn += 1;
    this.scheduleTurn();
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, socket, req));
  }

  /** On the next turn: a new allowance of handshakes, spent on those waiting first. */
  private scheduleTurn(): void {
    if (this.turnScheduled) return;
    this.turnScheduled = true;
    setImmediate(() => {
      this.turnScheduled = false;
      this.upgradesThisTurn = 0;
      while (this.waiting.length > 0 && this.upgradesThisTurn < UPGRADES_PER_TURN) {
        const [req, socket, head] = this.waiting.shift() as [IncomingMessage, Duplex, Buffer];
        if (socket.destroyed) continue;
        if (this.shuttingDown) refuse(socket, 503);
        else this.upgrade(req, socket, head);
      }
      if (this.waiting.length > 0) this.scheduleTurn();
    });
  }

  private accept(ws: WebSocket, socket: Duplex, req: IncomingMessage): void {
    // ws has its own error listener on the socket from here on.
    socket.off('error', destroyOnError);
    if (this.connections.size >= this.options.maxConnections || this.shuttingDown) {
      const code = this.shuttingDown ? CLOSE_CODES.GOING_AWAY : CLOSE_CODES.TRY_AGAIN_LATER;
      ws.close(code, this.shuttingDown ? this.goodbye : 'server is full, try again later');
      return;
    }
    const connection = new Connection(ws, socket, this.connectionEvents, this.addresses.of(req));
    this.connections.add(connection);
    this.heartbeat.add(connection);
    this.options.metrics.connections.set(this.connections.size);
    connection.session = this.options.chat.open(connection);
  }

  private closed(connection: Connection, code: number): void {
    this.connections.delete(connection);
    this.heartbeat.delete(connection);
    this.options.metrics.connections.set(this.connections.size);
    // Only a close the client chose is clean; a drop starts the presence grace period.
    const clean =
      !connection.wasTerminated && (code === CLOSE_CODES.NORMAL || code === CLOSE_CODES.GOING_AWAY);
    connection.session?.end(clean);
  }

  /** Refuses new upgrades from now on (HTTP 503). */
  stopAccepting(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.goodbye = encodeRestartHint({
      retryInMs: this.options.restartRetryMs,
      spreadMs: restartSpreadMs(this.connections.size),
    });
  }

  /**
   * Closes every connection with 1001 after sending what is queued, and waits
   * (bounded) for the close handshakes; stragglers are terminated.
   */
  async closeAll(timeoutMs: number): Promise<void> {
    this.stopAccepting();
    this.heartbeat.stop();
    const open = [...this.connections];
    const closed = open.map(
      (connection) =>
        new Promise<void>((resolve) => {
          if (connection.ws.readyState === WebSocket.CLOSED) {
            resolve();
            return;
          }
          connection.ws.once('close', () => resolve());
          connection.close(CLOSE_CODES.GOING_AWAY, this.goodbye);
        }),
    );
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(closed),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    for (const connection of this.connections) connection.terminate();
    this.wss.close();
  }
}
