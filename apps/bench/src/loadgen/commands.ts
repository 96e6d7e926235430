/**
 * The commands the orchestrator sends the load generator over IPC, with
 * their arguments and results. One generator process serves one server for
 * one scenario; its clients live between commands.
 */
import type { DialectName } from '../client/dialect.js';
import type { ProbeCounters } from '../client/reconnect.js';
import type { Percentiles } from '../metrics/samples.js';

/** How the waits before reconnecting went, since the counters were last reset. */
export interface RetryStats extends ProbeCounters {
  /** Waits paced by a restart hint (Tether). */
  paced: number;
  /** Waits on the backoff ladder (or Socket.IO's backoff). */
  backoff: number;
}

export interface ConnectArgs {
  dialect: DialectName;
  ports: number[];
  /** Clients to add; client i (over the whole fleet) joins rooms[i % rooms.length] on ports[i % ports.length]. */
  count: number;
  rooms: string[];
  /** Connections being opened at once (the whole count for a storm). */
  concurrency: number;
  timeoutMs: number;
  socketIoAcks: boolean;
  trackCursor: boolean;
  /** Read mode once joined: `count` except for the first `senders` clients and every `probeEvery`-th. */
  senders: number;
  probeEvery: number;
}

export interface ConnectResult {
  requested: number;
  joined: number;
  failed: number;
  /** Connection attempts that failed and were retried (docs/protocol.md backoff). */
  retries: number;
  /** From the first connect to the last join. */
  elapsedMs: number;
  joinMs: Percentiles;
  /** How connections ended before joining ("1006 before open", …), and errors answered. */
  closes: Record<string, number>;
  refusals: Record<string, number>;
  /** Tether: `memberCount` in the `joined` of the last client to join (undefined for other servers). */
  lastMemberCount?: number | undefined;
  /** Clients of the generator in that client's room, itself included: what `lastMemberCount` should be. */
  roomClients?: number;
}

export interface QuiesceArgs {
  quietMs: number;
  timeoutMs: number;
}

export interface QuiesceResult {
  quiet: boolean;
  waitedMs: number;
}

export interface FanoutArgs {
  senders: number;
  /** Open loop: messages a second over all senders. Closed loop when undefined. */
  messagesPerSec: number | undefined;
  /** Closed loop: messages sent and not yet delivered to every client, at most. */
  windowMessages: number;
  durationMs: number;
  warmupMs: number;
  /** After sending stops, how long to wait for the last deliveries. */
  drainMs: number;
}

export interface FanoutResult {
  sent: number;
  recipients: number;
  /** Deliveries during the measured window (after warm-up), per second. */
  deliveriesPerSec: number;
  measuredSeconds: number;
  /** Deliveries received / (messages sent × recipients), after draining. */
  deliveredFraction: number;
  /** Send to receipt, from probe clients, messages sent after warm-up. */
  latencyMs: Percentiles;
  clientsOpen: number;
  /** Sends the server refused (rate limit, …). */
  refused: number;
}

export interface IngestArgs {
  /** Open loop at this rate; `burst` sends `perSender` at once from every sender instead. */
  messagesPerSec: number;
  durationMs: number;
  warmupMs: number;
  maxInFlightPerSender: number;
  drainMs: number;
  burst: number;
}

export interface IngestResult {
  sent: number;
  acked: number;
  refused: number;
  /** Sends skipped because the sender had `maxInFlightPerSender` unacked. */
  skipped: number;
  unacked: number;
  /** Acks per second over the measured window (burst: from the first send to the last ack). */
  ackedPerSec: number;
  measuredSeconds: number;
  ackMs: Percentiles;
  refusals: Record<string, number>;
}

export interface TrafficArgs {
  /** Messages a second from each room's sender. */
  perRoomPerSec: number;
}

export interface AwaitResumedArgs {
  timeoutMs: number;
}

export interface AwaitResumedResult {
  clients: number;
  resumed: number;
  /** From `markRestart` to the last client joined again. */
  allResumedMs: number;
  resumeMs: Percentiles;
  attempts: Percentiles;
  /** How connections ended after the restart: "1001 hint", "1001", "1006 before open", … */
  closes: Record<string, number>;
  /** The waits before reconnecting: paced by a restart hint, on the backoff, and the /readyz probes. */
  retries: RetryStats;
}

export interface VerifyArgs {
  timeoutMs: number;
}

export interface VerifyResult {
  /** Messages every room's sender produced. */
  sentPerRoom: number[];
  /** Messages some client never received (over all clients). */
  missing: number;
  clientsMissing: number;
  duplicates: number;
  /** Sends never acked (senders with an outbox). */
  unackedSends: number;
  waitedMs: number;
}

export interface CloseArgs {
  graceful: boolean;
}

export interface Commands {
  connect: [ConnectArgs, ConnectResult];
  quiesce: [QuiesceArgs, QuiesceResult];
  fanout: [FanoutArgs, FanoutResult];
  ingest: [IngestArgs, IngestResult];
  trafficStart: [TrafficArgs, { senders: number }];
  markRestart: [Record<string, never>, { clientsOpen: number }];
  awaitResumed: [AwaitResumedArgs, AwaitResumedResult];
  trafficStop: [Record<string, never>, { sent: number }];
  verify: [VerifyArgs, VerifyResult];
  close: [CloseArgs, { closed: number }];
}

export type CommandName = keyof Commands;

export interface Request {
  seq: number;
  cmd: CommandName;
  args: unknown;
}

export type Reply = { seq: number; ok: true; result: unknown } | { seq: number; ok: false; error: string };
