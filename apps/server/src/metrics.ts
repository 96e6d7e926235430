/** Prometheus metrics, one registry per server so tests can run several. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  connections: Gauge;
  rooms: Gauge;
  messagesIn: Counter;
  messagesOut: Counter;
  framesRejected: Counter<'code'>;
  heartbeatTerminations: Counter;
  slowConsumerTerminations: Counter;
  abuseCloses: Counter<'reason'>;
  transportErrors: Counter<'reason'>;
  fanoutSeconds: Histogram;
  storeSeconds: Histogram;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tether_' });
  // What keeps the event loop busy, by kind (TCPSocketWrap, Timeout, …): a
  // leak of sockets or timers shows as a count that only grows. The default
  // metrics count handles but not timers, and not by kind.
  new Gauge({
    name: 'tether_active_resources',
    help: 'Resources keeping the event loop alive, by type (process.getActiveResourcesInfo)',
    labelNames: ['type'] as const,
    registers: [registry],
    collect() {
      const counts = new Map<string, number>();
      for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1);
      this.reset();
      for (const [type, count] of counts) this.set({ type }, count);
    },
  });
  const latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
  return {
    registry,
    connections: new Gauge({
      name: 'tether_connections',
      help: 'Open WebSocket connections',
      registers: [registry],
    }),
    rooms: new Gauge({
      name: 'tether_rooms',
      help: 'Rooms with members on this process',
      registers: [registry],
    }),
    messagesIn: new Counter({
      name: 'tether_messages_in_total',
      help: 'Messages stored from senders on this process',
      registers: [registry],
    }),
    messagesOut: new Counter({
      name: 'tether_messages_out_total',
      help: 'Message deliveries written to connections',
      registers: [registry],
    }),
    framesRejected: new Counter({
      name: 'tether_errors_sent_total',
      help: 'Error frames sent, by code',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    heartbeatTerminations: new Counter({
      name: 'tether_heartbeat_terminations_total',
      help: 'Connections terminated because the peer went silent',
      registers: [registry],
    }),
    slowConsumerTerminations: new Counter({
      name: 'tether_slow_consumer_terminations_total',
      help: 'Connections terminated for leaving more than 4 MiB unsent',
      registers: [registry],
    }),
    abuseCloses: new Counter({
      name: 'tether_abuse_closes_total',
      help: 'Connections closed with 1008 for abuse: bad_requests, rate_limited, or too many requests waiting',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    transportErrors: new Counter({
      name: 'tether_transport_errors_total',
      help: 'Connections closed for breaking the WebSocket rules, by ws error code or stalled_message',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    fanoutSeconds: new Histogram({
      name: 'tether_fanout_seconds',
      help: 'Time to encode a message and queue it to every connection in its room',
      buckets: latencyBuckets,
      registers: [registry],
    }),
    storeSeconds: new Histogram({
      name: 'tether_store_seconds',
      help: 'Time from receiving a send to its durable commit',
      buckets: latencyBuckets,
      registers: [registry],
    }),
  };
}
