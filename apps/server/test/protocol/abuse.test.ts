/**
 * docs/protocol.md › Errors › Abuse limits: what one client may do to the others.
 * More than 20 `bad_request` or 100 `rate_limited` within a minute close its
 * connection with 1008; a flood of sends or of pings, and attempts to act as
 * someone else or to read a room it is not in, leave everyone else served.
 * (A client that stops reading: slow-consumer.test.ts.)
 */
import { setTimeout as sleep } from 'node:timers/promises';

import { CLOSE_CODES, ERROR_CODES, LIMITS, type ServerMessage } from '@tether/protocol';
import { describe, expect, it } from 'vitest';

import { isError, readRoom, type TestClient } from '../helpers/client.js';
import { manualClock } from '../helpers/clock.js';
import { percentile, sample, scrape } from '../helpers/metrics.js';
import { OPCODE, RawWebSocket, clientFrame } from '../helpers/raw.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

async function slowConsumerTerminations(srv: TestServer): Promise<number> {
  return sample(await scrape(srv.url), 'tether_slow_consumer_terminations_total');
}

async function policyCloses(srv: TestServer): Promise<number> {
  // A labelled counter has no sample until it first counts.
  return (await scrape(srv.url)).get('tether_abuse_closes_total{reason="backlog"}') ?? 0;
}

describe('abuse', () => {
  it('closes with 1008 after more than 20 bad_request within a minute', async () => {
    await using srv = await startTestServer();
    const client = await srv.user('noisy');
    for (let i = 0; i < LIMITS.MAX_BAD_REQUESTS_PER_WINDOW; i++) client.sendRaw(`not json ${i}`);
    const errors = await client.collect(20, isError);
    expect(errors.every((e) => e.code === ERROR_CODES.BAD_REQUEST)).toBe(true);
    // 20 is the allowance: still open and served.
    await client.roundTrip();
    client.sendRaw('one too many');
    expect((await client.closed()).code).toBe(CLOSE_CODES.POLICY_VIOLATION);
  });

  it('counts bad_request per connection, not per user', async () => {
    await using srv = await startTestServer();
    const tab1 = await srv.user('noisy');
    const tab2 = await srv.user('noisy', tab1.token);
    for (let i = 0; i < 15; i++) tab1.sendRaw('junk');
    for (let i = 0; i < 15; i++) tab2.sendRaw('junk');
    await tab1.collect(15, isError);
    await tab2.collect(15, isError);
    await tab1.roundTrip();
    await tab2.roundTrip();
  });

  it.each([
    ['invalid_room', (i: number) => ({ type: 'join', room: `Bad Room ${i}` }), false],
    ['invalid_token', (i: number) => ({ type: 'hello', v: 1, name: 'x', token: `guess${i}` }), true],
    ['name_taken', () => ({ type: 'hello', v: 1, name: 'taken' }), true],
    ['invalid_name', () => ({ type: 'hello', v: 1, name: '' }), true],
  ] as const)(
    'closes with 1008 after more than 20 %s within a minute, as for bad_request',
    async (code, frame, beforeHello) => {
      await using srv = await startTestServer();
      await srv.user('taken');
      const client = beforeHello ? await srv.connect() : await srv.user('prober');
      for (let i = 0; i < LIMITS.MAX_BAD_REQUESTS_PER_WINDOW; i++) client.send(frame(i));
      const errors = await client.collect(LIMITS.MAX_BAD_REQUESTS_PER_WINDOW, isError);
      expect(errors.every((e) => e.code === code)).toBe(true);
      expect(client.isOpen()).toBe(true);
      client.send(frame(LIMITS.MAX_BAD_REQUESTS_PER_WINDOW));
      await client.nextError(code);
      expect((await client.closed()).code).toBe(CLOSE_CODES.POLICY_VIOLATION);
    },
  );

  it('does not count refusals a retry can fix (not_in_room) toward that allowance', async () => {
    await using srv = await startTestServer();
    const client = await srv.user('wanderer');
    for (let i = 0; i < 25; i++) client.send({ type: 'leave', room: `nowhere${i}` });
    const errors = await client.collect(25, isError);
    expect(errors.every((e) => e.code === ERROR_CODES.NOT_IN_ROOM)).toBe(true);
    await client.roundTrip();
  });

  it('closes with 1008 after more than 100 rate_limited within a minute', async () => {
    // A manual server clock: the budget must not refill while the first send
    // waits for its commit (slow on a loaded machine).
    await using srv = await startTestServer(
      { RATE_LIMIT_BURST: '1', RATE_LIMIT_PER_SEC: '1' },
      { clock: manualClock() },
    );
    const client = await srv.user('flooder');
    await client.join('general');
    await client.say('general', 'the one allowed');
    for (let i = 0; i < LIMITS.MAX_RATE_LIMITED_PER_WINDOW; i++) {
      client.send({ type: 'send', room: 'general', id: `flood${i}`, text: 'x' });
    }
    const errors = await client.collect(100, isError);
    const codes = new Set(errors.map((e) => e.code));
    expect([...codes]).toEqual([ERROR_CODES.RATE_LIMITED]);
    await client.roundTrip();
    client.send({ type: 'send', room: 'general', id: 'flood-last', text: 'x' });
    expect((await client.closed()).code).toBe(CLOSE_CODES.POLICY_VIOLATION);
  });
});

describe('send flood', () => {
  it('rate-limits a client sending 2,000 messages in a second, then closes it with 1008; others stay fast', async () => {
    await using srv = await startTestServer(); // the default limits: 10 a second, bursts of 20
    const flooder = await srv.user('flooder');
    const calm = await srv.user('calm');
    await flooder.join('general');
    await calm.join('general');

    // The calm client pings every 10 ms and sends about 10 messages a second, within its own limit.
    const rtts: number[] = [];
    const calmAcks: string[] = [];
    const state = { flooding: true };
    const calmLoop = (async () => {
      let n = 0;
      while (state.flooding) {
        const t = performance.now();
        calm.send({ type: 'ping', t });
        await calm.nextWhere((f) => f.type === 'pong' && f.t === t, 2000, 'pong');
        rtts.push(performance.now() - t);
        if (++n % 10 === 0) {
          const ack = await calm.say('general', `calm ${n}`);
          calmAcks.push(ack.id);
        }
        calm.discard('message');
        await sleep(10);
      }
    })();

    // 2,000 sends spread over one second: 20 every 10 ms. The calm client is
    // measured over the whole second, not only until the flooder is cut off.
    const started = Date.now();
    let attempted = 0;
    for (let batch = 0; batch < 100; batch++) {
      for (let i = 0; i < 20 && flooder.isOpen(); i++) {
        flooder.send({ type: 'send', room: 'general', id: `f${batch}_${i}`, text: 'flood' });
        attempted += 1;
      }
      await sleep(Math.max(0, started + (batch + 1) * 10 - Date.now()));
    }
    const closed = await flooder.closed(5000);
    state.flooding = false;
    await calmLoop;

    const answers = flooder.received.filter((f) => f.type === 'ack' || f.type === 'error');
    const acked = answers.filter((f) => f.type === 'ack').length;
    const limited = answers.filter((f) => f.type === 'error' && f.code === ERROR_CODES.RATE_LIMITED).length;
    console.log(
      `send flood: flooder sent ${attempted} before its close, acked ${acked}, rate_limited ${limited}, closed ${closed.code}; ` +
        `calm: ${rtts.length} pings, RTT p50 ${percentile(rtts, 50).toFixed(1)} ms, p99 ${percentile(rtts, 99).toFixed(1)} ms, ` +
        `max ${Math.max(...rtts).toFixed(1)} ms, ${calmAcks.length} sends acked`,
    );
    expect(closed.code).toBe(CLOSE_CODES.POLICY_VIOLATION);
    expect(acked).toBeGreaterThanOrEqual(20); // the burst
    expect(acked).toBeLessThanOrEqual(20 + 15); // and what refilled meanwhile
    expect(limited).toBe(LIMITS.MAX_RATE_LIMITED_PER_WINDOW + 1);
    // Every answer before the close is an ack or rate_limited. (Not in send
    // order: an ack waits for its commit, a refusal goes out at once.)
    expect(answers.every((f) => f.type === 'ack' || f.code === ERROR_CODES.RATE_LIMITED)).toBe(true);
    expect(rtts.length).toBeGreaterThan(40);
    // Fast for nearly every ping, and no ping stalled. (Not p99 < 50 ms: with
    // ~90 pings that is the single slowest one, which one moment of the test
    // process off the CPU decides on a busy machine: 51 ms seen there.)
    expect(percentile(rtts, 95)).toBeLessThan(50);
    expect(Math.max(...rtts)).toBeLessThan(500);
    expect(calmAcks.length).toBeGreaterThanOrEqual(2);
    // Nothing the flooder was refused was stored; everything acked was. (A send
    // accepted just before the 1008 may be stored without its ack reaching the
    // flooder: on a loaded machine the flood lasts long enough to refill a token.)
    const refusedIds = new Set(answers.flatMap((f) => (f.type === 'error' && f.id ? [f.id] : [])));
    const ackedIds = answers.flatMap((f) => (f.type === 'ack' ? [f.id] : []));
    const { messages } = await readRoom(srv.wsUrl, 'general');
    const flooderStored = messages.filter((m) => m.from.id === flooder.user!.id).map((m) => m.id);
    expect(flooderStored.filter((id) => refusedIds.has(id))).toEqual([]);
    expect(ackedIds.filter((id) => !flooderStored.includes(id))).toEqual([]);
    expect(flooderStored.length).toBeLessThanOrEqual(20 + 15);
    expect(messages.filter((m) => m.from.id === calm.user!.id).map((m) => m.id)).toEqual(calmAcks);
  });
});

describe('ping flood without reading', () => {
  it('ends a client that floods app-level pings and never reads the pongs; others are served', async () => {
    await using srv = await startTestServer();
    const bystander = await srv.user('bystander');
    // On the process whose metrics are read (on PostgreSQL the bystander is on another).
    const flooder = await srv.user('pinger', undefined, { node: 0 });
    flooder.socket().pause();
    const ping = JSON.stringify({ type: 'ping', t: 1_764_000_000_000 });
    let sent = 0;
    const deadline = Date.now() + 20_000;
    // The server stops taking its requests once 1 MiB of pongs wait unsent
    // (docs/protocol.md, Order of requests and answers), and closes it with
    // 1008 when 1,000 more wait behind them; or, if its pongs pile up faster
    // than that, terminates it as a slow consumer.
    const ended = async () => (await slowConsumerTerminations(srv)) > 0 || (await policyCloses(srv)) > 0;
    while (!(await ended()) && Date.now() < deadline) {
      for (let i = 0; i < 20_000 && flooder.isOpen(); i++) flooder.sendRaw(ping);
      sent += 20_000;
      // Let the server read and answer before checking again.
      await sleep(20);
      await bystander.roundTrip(5000);
    }
    console.log(`app-level ping flood: ended after ~${sent} pings`);
    expect(await ended()).toBe(true);
    flooder.socket().resume();
    expect([1006, CLOSE_CODES.POLICY_VIOLATION]).toContain((await flooder.closed(10_000)).code);
    await bystander.roundTrip();
  });

  it('terminates a client that floods WebSocket pings and never reads the pongs ws sends by itself', async () => {
    await using srv = await startTestServer();
    const bystander = await srv.user('bystander');
    const raw = await RawWebSocket.open(srv.server.port);
    raw.socket.pause();
    raw.socket.on('error', () => undefined);
    const pings = Buffer.concat(
      Array.from({ length: 1000 }, () => clientFrame(OPCODE.PING, Buffer.alloc(125, 1))),
    );
    expect(sample(await scrape(srv.url), 'tether_connections')).toBe(2);
    let sent = 0;
    const connections = () => scrape(srv.url).then((m) => sample(m, 'tether_connections'));
    // ws terminates a peer with more than 60 pongs it could not flush (maxPendingAutoPongs).
    while ((await connections()) === 2 && sent < 1_000_000) {
      for (let i = 0; i < 10 && !raw.socket.destroyed; i++) raw.socket.write(pings);
      sent += 10_000;
      await sleep(20);
    }
    console.log(`WebSocket ping flood: terminated after < ${sent} pings`);
    expect(await connections()).toBe(1);
    expect(sent).toBeLessThan(1_000_000);
    await bystander.roundTrip();
    raw.destroy();
  });
});

describe('no impersonation', () => {
  it('gives a new name to exactly one of 20 clients asking for it at once', async () => {
    await using srv = await startTestServer();
    const clients = await Promise.all(Array.from({ length: 20 }, () => srv.connect()));
    for (const [i, client] of clients.entries()) {
      client.send({ type: 'hello', v: 1, name: ['alice', 'Alice', 'ALICE', ' alice', 'ａｌｉｃｅ'][i % 5] });
    }
    const answers = await Promise.all(clients.map((c) => c.next(['welcome', 'error'])));
    const welcomes = answers.filter((a) => a.type === 'welcome');
    expect(welcomes).toHaveLength(1);
    expect(answers.filter((a) => a.type === 'error' && a.code === ERROR_CODES.NAME_TAKEN)).toHaveLength(19);
  });

  it('gives a free name to exactly one of several users renaming to it at once', async () => {
    await using srv = await startTestServer();
    const users = await Promise.all(['u1', 'u2', 'u3', 'u4', 'u5'].map((name) => srv.user(name)));
    const again = await Promise.all(users.map(() => srv.connect()));
    for (const [i, client] of again.entries()) {
      client.send({ type: 'hello', v: 1, name: 'prize', token: users[i]!.token });
    }
    // Every rename is answered (each after a commit): one welcome, the others name_taken.
    const answers = await Promise.all(again.map((c) => c.next(['welcome', 'error'], 10_000)));
    const welcomes = answers.filter((a) => a.type === 'welcome');
    expect(welcomes).toHaveLength(1);
    expect(welcomes[0]!.user.name).toBe('prize');
    expect(answers.filter((a) => a.type === 'error' && a.code === ERROR_CODES.NAME_TAKEN)).toHaveLength(4);
  });

  it('keeps a name held by a live token across a restart and a holder that is offline', async () => {
    await using srv = await startTestServer();
    const alice = await srv.user('alice');
    await alice.close();
    await srv.restart();
    for (const name of ['alice', 'ALICE', ' alice ']) {
      const thief = await srv.connect();
      thief.send({ type: 'hello', v: 1, name });
      await thief.nextError(ERROR_CODES.NAME_TAKEN);
    }
    expect((await srv.user('alice', alice.token)).user).toEqual(alice.user);
  });

  it('ignores identity fields a client sends: user in hello, from in send and typing', async () => {
    await using srv = await startTestServer();
    const victim = await srv.user('victim');
    await victim.join('general');
    const mallory = await srv.connect();
    mallory.send({ type: 'hello', v: 1, name: 'mallory', user: victim.user, id: victim.user!.id });
    const welcome = await mallory.next('welcome');
    expect(welcome.user.id).not.toBe(victim.user!.id);
    await mallory.join('general');
    await victim.next('presence');
    mallory.send({ type: 'typing', room: 'general', user: victim.user, from: victim.user });
    expect((await victim.next('typing')).user).toEqual(welcome.user);
    mallory.send({
      type: 'send',
      room: 'general',
      id: 'spoof',
      text: 'from victim?',
      from: victim.user,
      user: victim.user,
      message: { from: victim.user },
    });
    expect((await victim.next('message')).from).toEqual(welcome.user);
    // And the victim's own id space is untouched: it can still use 'spoof' for its own message.
    expect(await victim.say('general', 'mine', 'spoof')).toMatchObject({ seq: 2 });
  });

  it('delivers nothing of a room to connections that are not in it, whatever they tried', async () => {
    await using srv = await startTestServer({ PRESENCE_GRACE_MS: '0' });
    const member = await srv.user('member');
    await member.join('secret');

    const spectators: Record<string, TestClient> = {};
    spectators.neverJoined = await srv.user('never');
    spectators.otherTab = await srv.user('member', member.token); // the member's own second connection
    spectators.left = await srv.user('leaver');
    await spectators.left.join('secret');
    spectators.left.send({ type: 'leave', room: 'secret' });
    await spectators.left.next('left');
    spectators.refused = await srv.user('crowded');
    for (let i = 0; i < LIMITS.MAX_ROOMS_PER_CONNECTION; i++) await spectators.refused.join(`room${i}`);
    spectators.refused.send({ type: 'join', room: 'secret' });
    await spectators.refused.nextError(ERROR_CODES.TOO_MANY_ROOMS);
    spectators.elsewhere = await srv.user('elsewhere');
    await spectators.elsewhere.join('public');
    spectators.anonymous = await srv.connect();
    spectators.anonymous.send({ type: 'join', room: 'secret' });
    await spectators.anonymous.nextError(ERROR_CODES.NOT_AUTHENTICATED);
    spectators.historian = await srv.user('historian');
    spectators.historian.send({ type: 'history', room: 'secret' });
    await spectators.historian.nextError(ERROR_CODES.NOT_IN_ROOM);
    spectators.typist = await srv.user('typist');
    spectators.typist.send({ type: 'typing', room: 'secret' });
    await spectators.typist.nextError(ERROR_CODES.NOT_IN_ROOM);
    spectators.sender = await srv.user('sender');
    spectators.sender.send({ type: 'send', room: 'secret', id: 'x1', text: 'let me in' });
    await spectators.sender.nextError(ERROR_CODES.NOT_IN_ROOM);

    // Activity in the room: messages, typing, members coming and going.
    const friend = await srv.user('friend');
    await friend.join('secret');
    await member.say('secret', 'secret one');
    await friend.say('secret', 'secret two');
    member.send({ type: 'typing', room: 'secret' });
    await friend.next('typing');
    await friend.close();
    await member.next('presence'); // joined
    await member.next('presence'); // left
    await member.say('secret', 'secret three');

    for (const [who, client] of Object.entries(spectators)) {
      if (client === spectators.anonymous) {
        client.send({ type: 'rooms' });
        await client.nextError(ERROR_CODES.NOT_AUTHENTICATED);
      } else {
        await client.roundTrip();
      }
      const leaked = client.received.filter(
        (f: ServerMessage) =>
          'room' in f &&
          f.room === 'secret' &&
          f.type !== 'error' &&
          f.type !== 'joined' &&
          f.type !== 'left',
      );
      expect(leaked, who).toEqual([]);
      const mentions = client.received.filter((f) => /secret (one|two|three)/.test(JSON.stringify(f)));
      expect(mentions, who).toEqual([]);
    }
    // The rooms list shows the room exists (docs/protocol.md: rooms are listed), not its messages.
    spectators.neverJoined.send({ type: 'rooms' });
    const rooms = await spectators.neverJoined.next('rooms');
    expect(rooms.rooms.find((r) => r.name === 'secret')).toMatchObject({ seq: 3 });
  });
});
