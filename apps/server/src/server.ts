/**
 * Wires the parts into a running server: storage, bus, chat, the WebSocket
 * gateway and the HTTP app, on one `http.Server`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { pino, type Logger } from 'pino';

import { openBackend } from './backend.js';
import type { Bus, ChatStore, Clock, MembershipDirectory, SweepResult } from './chat/ports.js';
import { ChatService } from './chat/service.js';
import type { Config } from './config.js';
import { createHttpApp } from './http/app.js';
import { systemClock } from './local/clock.js';
import { createMetrics } from './metrics.js';
import { encodeFrame, encodeJoinedFrame } from './ws/frame.js';
import { Gateway } from './ws/gateway.js';

export interface RunningServer {
  port: number;
  /** `http://127.0.0.1:PORT` (or the configured host). */
  url: string;
  wsUrl: string;
  /** Graceful shutdown: 1001 to every client, pending commits on disk. */
  close(): Promise<void>;
  /** Runs the store's housekeeping now (it also runs every hour). */
  sweep(): Promise<SweepResult>;
}

export interface ServerOverrides {
  log?: Logger;
  clock?: Clock;
  store?: ChatStore;
  bus?: Bus;
  membership?: MembershipDirectory;
  /** How long to wait for Redis at start (default 10 s). */
  connectTimeoutMs?: number;
  /** Time allowed for a request's headers (default 10 s); tests shorten it. */
  headersTimeoutMs?: number;
}

/** Time allowed for clients to answer the 1001 close before they are cut. */
const CLOSE_HANDSHAKE_MS = 3000;
/** Pending TCP connections the kernel may queue before the server accepts them. */
const LISTEN_BACKLOG = 4096;

export async function startServer(config: Config, overrides: ServerOverrides = {}): Promise<RunningServer> {
  const log = overrides.log ?? pino({ level: config.logLevel, base: { service: 'tether' } });
  const clock = overrides.clock ?? systemClock;
  const metrics = createMetrics();
  const backend = await openBackend(config, {
    clock,
    log,
    connectTimeoutMs: overrides.connectTimeoutMs ?? 10_000,
    replace: { store: overrides.store, bus: overrides.bus, membership: overrides.membership },
  });
  const { store, bus, membership } = backend;
  const chat = new ChatService({
    store,
    bus,
    membership,
    clock,
    log,
    metrics,
    encode: encodeFrame,
    encodeJoined: encodeJoinedFrame,
    settings: config,
  });
  const gateway = new Gateway({
    chat,
    clock,
    log,
    metrics,
    allowedOrigins: config.allowedOrigins,
    maxConnections: config.maxConnections,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    heartbeatTimeoutMs: config.heartbeatTimeoutMs,
    trustedProxies: config.trustedProxies,
    restartRetryMs: config.restartRetryMs,
  });

  let closing: Promise<void> | undefined;
  const app = createHttpApp({
    staticDir: config.staticDir,
    serveSourceMaps: config.serveSourceMaps,
    log,
    registry: metrics.registry,
    ready: async () => {
      await Promise.all([store.check(), bus.check()]);
    },
    closing: () => closing !== undefined,
  });

  const server: Server = createServer(
    {
      // Slow or half-sent requests (upgrades included) are cut instead of holding
      // sockets; the check runs every second, not every 30 s as by default.
      headersTimeout: overrides.headersTimeoutMs ?? 10_000,
      requestTimeout: 30_000,
      connectionsCheckingInterval: 1000,
    },
    // eslint-disable-next-line @typescript-eslint/no-misused-promises -- Koa's handler returns a promise it handles itself
    app.callback(),
  );
  server.on('upgrade', gateway.handleUpgrade);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // Node's default backlog is 511: when thousands of clients reconnect at
    // once (a restart) and the event loop is busy, the kernel drops the SYNs
    // beyond it and those clients wait out TCP's retransmission backoff
    // (1 s, 3 s, 7 s …). The kernel caps this at net.core.somaxconn.
    server.listen({ port: config.port, host: config.host, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log.info({ port, host: config.host, ...backend.describe }, 'listening');

  const shutdown = async (): Promise<void> => {
    log.info('shutting down');
    gateway.stopAccepting();
    // Let the pending group commit finish so its acks go out before the 1001.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const forgotten = chat.shutdown();
    await gateway.closeAll(CLOSE_HANDSHAKE_MS);
    await forgotten;
    await store.close();
    await bus.close();
    await membership.close();
    await backend.close();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    log.info('stopped');
  };

  return {
    port,
    url,
    wsUrl: `${url.replace(/^http/, 'ws')}/ws`,
    close: () => (closing ??= shutdown()),
    sweep: () => chat.sweep(),
  };
}
