/** docs/protocol.md › Heartbeat: server pings, dead-peer termination, app-level ping/pong. */
import { setTimeout as sleep } from 'node:timers/promises';

import { describe, expect, it } from 'vitest';

import { steppedClock } from '../helpers/clock.js';
import { startTestServer } from '../helpers/server.js';

const INTERVAL = 200;
// Pings every 200 ms, but a link counts as dead only after 1.2 s of silence:
// a live client whose pong (or frame) is late on a loaded machine is kept.
const LIVELY = { HEARTBEAT_INTERVAL_MS: String(INTERVAL), HEARTBEAT_TIMEOUT_MS: '1000' };
/** 2 × interval + timeout for LIVELY: a silent link is gone by then. */
const LIVELY_DEAD_BY_MS = 2 * INTERVAL + 1000;
// For the deadline checks: long enough that 2 × interval + timeout (3000 ms) is
// told apart from one interval more (4000 ms) even on a loaded machine, and
// that a live client's pong, late by a busy second, still counts.
const DEADLINE = { HEARTBEAT_INTERVAL_MS: '1000', HEARTBEAT_TIMEOUT_MS: '1000' };
const DEADLINE_MS = 2 * 1000 + 1000;
const SLACK_MS = 800;

describe('server heartbeat', () => {
  it('sends WebSocket ping frames every HEARTBEAT_INTERVAL_MS', async () => {
    await using srv = await startTestServer(LIVELY);
    const client = await srv.user('alice');
    const start = Date.now();
    // 5 take about 1 s at 200 ms; a loaded machine may take longer, so wait for
    // them (bounded) instead of counting what came in a fixed time.
    const since = () => client.pings.filter((t) => t >= start);
    for (const deadline = start + 10_000; since().length < 5 && Date.now() < deadline;) await sleep(20);
    const elapsed = Date.now() - start;
    const pings = since();
    expect(pings.length).toBeGreaterThanOrEqual(5);
    // Never more often than the interval (one in flight at the start aside).
    expect(pings.length).toBeLessThanOrEqual(Math.floor(elapsed / INTERVAL) + 2);
    const gaps = pings.slice(1).map((t, i) => t - pings[i]!);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(INTERVAL * 0.5);
    expect(client.isOpen()).toBe(true);
  });

  it('terminates a connection that answers no pings within 2 × interval + timeout', async () => {
    await using srv = await startTestServer(DEADLINE);
    const client = await srv.connect({ autoPong: false });
    await client.hello('silent');
    const lastFrame = Date.now();
    const { code } = await client.closed(DEADLINE_MS + 5000);
    const elapsed = Date.now() - lastFrame;
    // Terminated: the socket is dropped without a close frame.
    expect(code).toBe(1006);
    expect(elapsed).toBeLessThanOrEqual(DEADLINE_MS + SLACK_MS);
    expect(client.pings.length).toBeGreaterThanOrEqual(1);
  });

  it('does not terminate a connection silent for less than interval + timeout', async () => {
    await using srv = await startTestServer(DEADLINE);
    const client = await srv.connect({ autoPong: false });
    // The hello is the client's last frame: the server's clock for it starts
    // when the hello arrives, not when the welcome (after a commit) comes back.
    const lastFrame = Date.now();
    await client.hello('slowpoke');
    await client.closed(DEADLINE_MS + 5000);
    // Allow for timer granularity only.
    expect(Date.now() - lastFrame).toBeGreaterThanOrEqual(1000 + 1000 - 30);
  });

  it('terminates a silent connection that never said hello', async () => {
    await using srv = await startTestServer({ ...DEADLINE, HELLO_TIMEOUT_MS: '60000' });
    const client = await srv.connect({ autoPong: false });
    const opened = Date.now();
    expect((await client.closed(DEADLINE_MS + 5000)).code).toBe(1006);
    expect(Date.now() - opened).toBeLessThanOrEqual(DEADLINE_MS + SLACK_MS);
  });

  it('keeps a connection that answers pings but sends nothing else', async () => {
    await using srv = await startTestServer(LIVELY);
    const client = await srv.user('ponger');
    // Longer than a silent link would last.
    await client.expectNoFrame(undefined, LIVELY_DEAD_BY_MS + 500);
    expect(client.isOpen()).toBe(true);
    expect(client.pings.length).toBeGreaterThanOrEqual(3);
    await client.roundTrip();
  });

  it('counts any frame as a sign of life, not only pongs', async () => {
    await using srv = await startTestServer(LIVELY);
    const client = await srv.connect({ autoPong: false });
    await client.hello('chatty');
    // Longer than a silent link would last.
    const until = Date.now() + LIVELY_DEAD_BY_MS + 500;
    let t = 0;
    while (Date.now() < until && client.isOpen()) {
      client.send({ type: 'ping', t: ++t });
      await client.next('pong', 1000);
      await sleep(100);
    }
    expect(client.isOpen()).toBe(true);
  });

  it('lets a client send many frames between pings without being dropped', async () => {
    await using srv = await startTestServer(LIVELY);
    const client = await srv.user('busy');
    await client.join('general');
    for (let i = 0; i < 5; i++) {
      await client.say('general', `tick ${i}`);
      await sleep(150);
    }
    expect(client.isOpen()).toBe(true);
  });
});

describe('app-level ping', () => {
  it('answers ping with pong carrying the same t', async () => {
    await using srv = await startTestServer();
    const client = await srv.user('alice');
    for (const t of [0, 1_764_000_000_000, 12.5, -3]) {
      client.send({ type: 'ping', t });
      expect(await client.next('pong')).toEqual({ type: 'pong', t });
    }
  });

  it('answers ping at once, in order with other requests', async () => {
    await using srv = await startTestServer();
    const client = await srv.user('alice');
    const sent = Date.now();
    client.send({ type: 'ping', t: 1 });
    client.send({ type: 'ping', t: 2 });
    expect(await client.next()).toEqual({ type: 'pong', t: 1 });
    expect(await client.next()).toEqual({ type: 'pong', t: 2 });
    expect(Date.now() - sent).toBeLessThan(500);
  });

  it('answers ping with a missing or non-numeric t with bad_request', async () => {
    await using srv = await startTestServer();
    const client = await srv.user('alice');
    client.send({ type: 'ping' });
    await client.nextError('bad_request');
    client.send({ type: 'ping', t: 'now' });
    await client.nextError('bad_request');
  });
});

describe('a stepped wall clock', () => {
  it.each([
    ['a minute forward', 60_000],
    ['an hour back', -3_600_000],
  ])('%s neither cuts a live connection nor keeps a dead one', async (_, step) => {
    let offset = 0;
    await using srv = await startTestServer(DEADLINE, { clock: steppedClock(() => offset) });
    const live = await srv.user('live');
    const dead = await srv.connect({ autoPong: false });
    await dead.hello('dead');
    const lastFrame = Date.now();
    offset = step;
    // The dead peer goes when its time is up, however the wall clock moved…
    const { code } = await dead.closed(DEADLINE_MS + 5000);
    expect(code).toBe(1006);
    expect(Date.now() - lastFrame).toBeLessThanOrEqual(DEADLINE_MS + SLACK_MS);
    // …and the live one, answering every ping, stays.
    await sleep(DEADLINE_MS);
    expect(live.isOpen()).toBe(true);
    await live.roundTrip();
  });

  it('does not starve the typing throttle when the wall clock goes back an hour', async () => {
    let offset = 0;
    await using srv = await startTestServer({}, { clock: steppedClock(() => offset) });
    const alice = await srv.user('alice');
    const bob = await srv.user('bob');
    await alice.join('general');
    await bob.join('general');
    alice.send({ type: 'typing', room: 'general' });
    await bob.next('typing');
    offset = -3_600_000;
    await sleep(1100);
    alice.send({ type: 'typing', room: 'general' });
    await bob.next('typing', 2000);
  });
});
