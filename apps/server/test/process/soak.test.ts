/**
 * Soak: steady traffic with churn for SOAK_SECONDS (30 in
 * `pnpm test`, 600 with `pnpm soak`) against the server as a child process.
 *
 * About 30 clients in 5 rooms send about 60 messages a second; twice a second
 * one of them goes (a clean close, a drop, or leaving a room) and another
 * comes (a new user, or a known one back with its token). Checked:
 * - RSS after warm-up stays flat: the median of the last 10 % of the run is
 *   less than 10 % above the median just after warm-up. V8's young
 *   generation is left out of both: V8 sizes it by the allocation rate, in
 *   steps from 1 MB up to a fixed bound (32 MB with Node's defaults), so a
 *   busy server's RSS steps up by up to ~30 MB in its first minutes without
 *   holding more data (see the timeline printed: old-generation live bytes
 *   stay flat). Everything else, old generation, code, Buffers and native
 *   memory (SQLite, sockets), counts;
 * - the connections gauge follows the clients that are open;
 * - once every client is gone (and the presence grace period is over) the
 *   server holds exactly the sockets and timers it held before the first
 *   client came (`tether_active_resources{type}`), and the connections gauge
 *   is 0: nothing leaked;
 * - no MaxListenersExceededWarning (a listener leak) on stderr, every send
 *   acked, every frame a protocol frame.
 */
import { setTimeout as sleep } from 'node:timers/promises';

import { parseServerMessage } from '@tether/protocol';
import { expect, it, onTestFinished } from 'vitest';
import WebSocket from 'ws';

import { launchServer } from '../helpers/child.js';
import { activeResources, rssBytes, sample, scrape, waitFor } from '../helpers/metrics.js';
import { prng } from '../helpers/random.js';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 30);
const POPULATION = 30;
const ROOMS = ['lobby', 'dev', 'ops', 'random', 'music'];
const SENDS_PER_SECOND = 60;
const GRACE_MS = 200;

interface Totals {
  sent: number;
  acked: number;
  problems: string[];
}

/** A light client: it counts acks instead of keeping frames, so the test process stays small too. */
class SoakClient {
  readonly rooms = new Set<string>();
  private readonly joined = new Set<string>();
  private readonly pending = new Set<string>();
  private next = 0;
  ready = false;
  closed = false;

  constructor(
    readonly ws: WebSocket,
    readonly name: string,
    public token: string | undefined,
    private readonly totals: Totals,
  ) {
    ws.on('open', () => {
      ws.send(JSON.stringify({ type: 'hello', v: 1, name, ...(token ? { token } : {}) }));
    });
    ws.on('message', (data: Buffer) => this.onFrame(data.toString('utf8')));
    ws.on('close', () => {
      this.closed = true;
      // Sends that were in flight when it went: a real client would resend them.
      this.totals.sent -= this.pending.size;
      this.pending.clear();
    });
    ws.on('error', () => undefined);
  }

  join(room: string): void {
    this.rooms.add(room);
    if (this.ready) this.ws.send(JSON.stringify({ type: 'join', room }));
  }

  leave(room: string): void {
    this.rooms.delete(room);
    this.joined.delete(room);
    if (this.ready) this.ws.send(JSON.stringify({ type: 'leave', room }));
  }

  send(room: string): void {
    if (!this.ready || !this.joined.has(room) || this.ws.readyState !== WebSocket.OPEN) return;
    const id = `m${this.next++}`;
    this.pending.add(id);
    this.totals.sent += 1;
    this.ws.send(JSON.stringify({ type: 'send', room, id, text: `soak ${this.name} ${id}` }));
  }

  joinedRooms(): string[] {
    return [...this.joined];
  }

  private onFrame(text: string): void {
    const parsed = parseServerMessage(text);
    if (!parsed.ok) {
      this.totals.problems.push(`${this.name}: not a protocol frame: ${text.slice(0, 120)}`);
      return;
    }
    const m = parsed.message;
    if (m.type === 'welcome') {
      this.token = m.token;
      this.ready = true;
      for (const room of this.rooms) this.ws.send(JSON.stringify({ type: 'join', room }));
    } else if (m.type === 'joined') {
      if (this.rooms.has(m.room)) this.joined.add(m.room);
    } else if (m.type === 'ack') {
      if (this.pending.delete(m.id)) this.totals.acked += 1;
    } else if (m.type === 'error') {
      this.totals.problems.push(`${this.name}: ${m.code} ${m.message}`);
    }
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

it(
  `stays flat and leaks nothing over ${SECONDS} s of traffic with churn`,
  { timeout: (SECONDS + 90) * 1000 },
  async () => {
    const random = prng(20_261_124); // seeded: the same churn every run
    const server = await launchServer({
      PRESENCE_GRACE_MS: String(GRACE_MS),
      HEARTBEAT_INTERVAL_MS: '2000',
      HEARTBEAT_TIMEOUT_MS: '2000',
    });
    const { wsUrl: url, url: httpUrl, child } = server;
    const pid = child.process.pid!;

    await sleep(500);
    const initial = await scrape(httpUrl);
    const before = activeResources(initial);

    const totals: Totals = { sent: 0, acked: 0, problems: [] };
    const clients = new Set<SoakClient>();
    const tokens: [string, string][] = [];
    let users = 0;
    const open = () => {
      const back = tokens.length > 0 && random() < 0.5;
      const [name, token] = back
        ? tokens.splice(Math.floor(random() * tokens.length), 1)[0]!
        : [`soak${users++}`, undefined];
      const client = new SoakClient(new WebSocket(url), name, token, totals);
      const rooms = 1 + Math.floor(random() * 3);
      for (let i = 0; i < rooms; i++) client.join(ROOMS[Math.floor(random() * ROOMS.length)]!);
      clients.add(client);
    };
    const churn = () => {
      const list = [...clients].filter((c) => c.ready);
      const victim = list[Math.floor(random() * list.length)];
      if (!victim) return;
      const roll = random();
      if (roll < 0.25 && victim.rooms.size > 1) {
        victim.leave([...victim.rooms][0]!);
        victim.join(ROOMS[Math.floor(random() * ROOMS.length)]!);
        return;
      }
      clients.delete(victim);
      if (victim.token) tokens.push([victim.name, victim.token]);
      if (roll < 0.65) victim.ws.close(1000);
      else victim.ws.terminate(); // a drop: the grace period runs
      open();
    };
    onTestFinished(() => {
      for (const c of clients) c.ws.terminate();
    });
    for (let i = 0; i < POPULATION; i++) open();

    const samples: {
      t: number;
      rss: number;
      connections: number;
      open: number;
      heap: number;
      heapTotal: number;
      external: number;
      /** Committed bytes of V8's young generation: it grows with the allocation rate, to a bound. */
      newSpace: number;
      /** Live bytes in V8's old generation (what a leak would grow). */
      oldUsed: number;
    }[] = [];
    const started = Date.now();
    const end = started + SECONDS * 1000;
    let nextSample = started;
    let nextChurn = started + 500;
    while (Date.now() < end) {
      // Sends: spread over the population, SENDS_PER_SECOND in all.
      const tickMs = 50;
      const perTick = (SENDS_PER_SECOND * tickMs) / 1000;
      const list = [...clients];
      for (let i = 0; i < perTick; i++) {
        const client = list[Math.floor(random() * list.length)];
        const rooms = client?.joinedRooms() ?? [];
        if (client && rooms.length > 0) client.send(rooms[Math.floor(random() * rooms.length)]!);
      }
      if (Date.now() >= nextChurn) {
        churn();
        nextChurn += 500;
      }
      if (Date.now() >= nextSample) {
        nextSample += 1000;
        const metrics = await scrape(httpUrl);
        samples.push({
          t: (Date.now() - started) / 1000,
          rss: await rssBytes(pid),
          connections: sample(metrics, 'tether_connections'),
          open: [...clients].filter((c) => c.ws.readyState === WebSocket.OPEN).length,
          heap: sample(metrics, 'tether_nodejs_heap_size_used_bytes'),
          heapTotal: sample(metrics, 'tether_nodejs_heap_size_total_bytes'),
          external: sample(metrics, 'tether_nodejs_external_memory_bytes'),
          newSpace: sample(metrics, 'tether_nodejs_heap_space_size_total_bytes{space="new"}'),
          oldUsed: sample(metrics, 'tether_nodejs_heap_space_size_used_bytes{space="old"}'),
        });
      }
      await sleep(tickMs);
    }

    // Everyone leaves; after the grace period nothing of them may remain.
    for (const c of clients) c.ws.close(1000);
    await waitFor(
      () => ([...clients].every((c) => c.closed) ? true : undefined),
      5000,
      'every client closed',
    );
    // The server lets go of them on its own time (closes, then the grace
    // period of the dropped ones): wait for that, bounded, instead of a fixed
    // time a loaded machine may overrun. What is still held then fails below.
    const resourcesOf = (m: Awaited<ReturnType<typeof scrape>>) =>
      JSON.stringify([...activeResources(m)].sort(([a], [b]) => a.localeCompare(b)));
    const released = async () => {
      const m = await scrape(httpUrl);
      const idle =
        sample(m, 'tether_connections') === 0 &&
        sample(m, 'tether_rooms') === 0 &&
        resourcesOf(m) === resourcesOf(initial);
      return idle ? m : undefined;
    };
    await sleep(GRACE_MS);
    const final = await waitFor(released, 10_000, 'the server to let go of every client', 100).catch(() =>
      scrape(httpUrl),
    );
    const after = activeResources(final);

    const warmup = Math.max(10, SECONDS * 0.25);
    const tail = Math.max(3, SECONDS * 0.1);
    const retained = (s: (typeof samples)[number]) => s.rss - s.newSpace;
    const early = samples.filter((s) => s.t >= warmup && s.t < warmup + tail).map(retained);
    const late = samples.filter((s) => s.t >= SECONDS - tail).map(retained);
    const growth = median(late) / median(early) - 1;
    const rawEarly = median(samples.filter((s) => s.t >= warmup && s.t < warmup + tail).map((s) => s.rss));
    const rawLate = median(samples.filter((s) => s.t >= SECONDS - tail).map((s) => s.rss));
    const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
    const gaugeOff = samples.filter((s) => Math.abs(s.connections - s.open) > 3);
    console.log(
      `soak ${SECONDS} s: ${users} users, ${totals.sent} sent, ${totals.acked} acked; ` +
        `RSS less young generation after warm-up ${mb(median(early))} → end ${mb(median(late))} (${(growth * 100).toFixed(1)} %); ` +
        `raw RSS ${mb(rawEarly)} → ${mb(rawLate)}, ` +
        `max ${mb(Math.max(...samples.map((s) => s.rss)))}; heap ${mb(samples[0]?.heap ?? 0)} → ${mb(samples.at(-1)?.heap ?? 0)}; ` +
        `resources before ${JSON.stringify(Object.fromEntries(before))}, after ${JSON.stringify(Object.fromEntries(after))}`,
    );
    // A timeline in ten steps, for when memory does grow: RSS, V8 heap (used /
    // committed) and memory outside it (Buffers).
    const step = Math.max(1, Math.floor(samples.length / 10));
    console.log(
      samples
        .filter((_, i) => i % step === 0 || i === samples.length - 1)
        .map(
          (s) =>
            `  ${s.t.toFixed(0).padStart(4)} s  rss ${mb(s.rss)}  heap ${mb(s.heap)} / ${mb(s.heapTotal)} (young ${mb(s.newSpace)}, old live ${mb(s.oldUsed)})  external ${mb(s.external)}  connections ${s.connections}`,
        )
        .join('\n'),
    );
    expect(totals.problems).toEqual([]);
    expect(totals.acked).toBe(totals.sent);
    expect(growth).toBeLessThan(0.1);
    expect(gaugeOff.map((s) => `${s.t}s: gauge ${s.connections}, open ${s.open}`)).toEqual([]);
    expect(sample(final, 'tether_connections')).toBe(0);
    expect(sample(final, 'tether_rooms')).toBe(0);
    expect(Object.fromEntries(after)).toEqual(Object.fromEntries(before));
    expect(child.stderr.filter((line) => /MaxListenersExceeded|Warning/.test(line))).toEqual([]);

    expect((await server.kill('SIGTERM')).code).toBe(0);
  },
);
