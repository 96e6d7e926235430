/** docs/protocol.md › Limits: the send rate per user, and what does not count toward it. */
import { setTimeout as sleep } from 'node:timers/promises';

import { ERROR_CODES } from '@tether/protocol';
import { describe, expect, it } from 'vitest';

import { isAck, isMessage } from '../helpers/client.js';
import { manualClock } from '../helpers/clock.js';
import { startOneProcess } from '../helpers/server.js';

describe('send rate limit', () => {
  it('answers the 21st send of a burst with rate_limited (id and room) and does not store it', async () => {
    await using srv = await startOneProcess();
    const alice = await srv.user('alice');
    const bob = await srv.user('bob');
    await alice.join('general');
    await bob.join('general');
    for (let i = 1; i <= 21; i++)
      alice.send({ type: 'send', room: 'general', id: `b${i}`, text: `burst ${i}` });
    const acks = await alice.collect(20, isAck);
    expect(acks.map((a) => a.id)).toEqual(Array.from({ length: 20 }, (_, i) => `b${i + 1}`));
    const error = await alice.nextError(ERROR_CODES.RATE_LIMITED);
    expect(error).toMatchObject({ id: 'b21', room: 'general' });
    const delivered = await bob.collect(20, isMessage);
    expect(delivered.map((m) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    await bob.expectNoFrame('message', 300);
    const reader = await srv.user('reader');
    const joined = await reader.join('general');
    expect(joined.seq).toBe(20);
    expect(joined.messages.map((m) => m.id)).not.toContain('b21');
    expect(alice.isOpen()).toBe(true);
  });

  it('honours RATE_LIMIT_BURST', async () => {
    await using srv = await startOneProcess({ RATE_LIMIT_BURST: '5', RATE_LIMIT_PER_SEC: '1' });
    const alice = await srv.user('alice');
    await alice.join('general');
    for (let i = 1; i <= 6; i++) alice.send({ type: 'send', room: 'general', id: `s${i}`, text: 'x' });
    expect((await alice.collect(5, isAck)).map((a) => a.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(await alice.nextError(ERROR_CODES.RATE_LIMITED)).toMatchObject({ id: 's6', room: 'general' });
  });

  // The server's clock is a manual one in the tests below that count on the
  // budget not refilling: with the real clock, a slow commit on a loaded
  // machine (each `say` waits for one) refills it mid-test.
  it('honours RATE_LIMIT_PER_SEC: the budget refills at that rate', async () => {
    const clock = manualClock();
    await using srv = await startOneProcess({ RATE_LIMIT_BURST: '1', RATE_LIMIT_PER_SEC: '2' }, { clock });
    const alice = await srv.user('alice');
    await alice.join('general');
    await alice.say('general', 'first');
    alice.send({ type: 'send', room: 'general', id: 'too-soon', text: 'x' });
    await alice.nextError(ERROR_CODES.RATE_LIMITED);
    // 2 a second: one more send is allowed 500 ms later, not before.
    clock.advance(400);
    alice.send({ type: 'send', room: 'general', id: 'still-too-soon', text: 'x' });
    await alice.nextError(ERROR_CODES.RATE_LIMITED);
    clock.advance(200);
    await alice.say('general', 'refilled');
    alice.send({ type: 'send', room: 'general', id: 'too-soon-again', text: 'x' });
    await alice.nextError(ERROR_CODES.RATE_LIMITED);
  });

  it('sustains RATE_LIMIT_PER_SEC over time without refusing', async () => {
    await using srv = await startOneProcess({ RATE_LIMIT_BURST: '2', RATE_LIMIT_PER_SEC: '20' });
    const alice = await srv.user('alice');
    await alice.join('general');
    // 10 sends at 10 a second, half the allowed rate.
    for (let i = 0; i < 10; i++) {
      await alice.say('general', `steady ${i}`);
      await sleep(100);
    }
    await alice.expectNoFrame('error', 0);
  });

  it('limits per user, across all of its connections', async () => {
    await using srv = await startOneProcess(
      { RATE_LIMIT_BURST: '3', RATE_LIMIT_PER_SEC: '1' },
      { clock: manualClock() },
    );
    const tab1 = await srv.user('alice');
    const tab2 = await srv.user('alice', tab1.token);
    await tab1.join('general');
    await tab2.join('general');
    for (let i = 0; i < 3; i++) await tab1.say('general', `t1 ${i}`);
    tab2.send({ type: 'send', room: 'general', id: 'from-tab2', text: 'x' });
    expect(await tab2.nextError(ERROR_CODES.RATE_LIMITED)).toMatchObject({ id: 'from-tab2' });
    // Another user has a budget of its own.
    const bob = await srv.user('bob');
    await bob.join('general');
    await bob.say('general', 'bob is fine');
  });

  it('does not count idempotent resends toward the limit', async () => {
    await using srv = await startOneProcess(
      { RATE_LIMIT_BURST: '3', RATE_LIMIT_PER_SEC: '1' },
      { clock: manualClock() },
    );
    const alice = await srv.user('alice');
    await alice.join('general');
    const a1 = await alice.say('general', 'one', 'r1');
    const a2 = await alice.say('general', 'two', 'r2');
    for (let i = 0; i < 10; i++) {
      expect(await alice.say('general', 'one', 'r1')).toEqual(a1);
      expect(await alice.say('general', 'two', 'r2')).toEqual(a2);
    }
    // The third token of the burst is still there.
    expect((await alice.say('general', 'three', 'r3')).seq).toBe(3);
    alice.send({ type: 'send', room: 'general', id: 'r4', text: 'four' });
    await alice.nextError(ERROR_CODES.RATE_LIMITED);
  });

  it('answers a resend with its ack even while the budget is used up', async () => {
    await using srv = await startOneProcess(
      { RATE_LIMIT_BURST: '2', RATE_LIMIT_PER_SEC: '1' },
      { clock: manualClock() },
    );
    const alice = await srv.user('alice');
    await alice.join('general');
    const first = await alice.say('general', 'one', 'e1');
    await alice.say('general', 'two', 'e2');
    alice.send({ type: 'send', room: 'general', id: 'e3', text: 'three' });
    await alice.nextError(ERROR_CODES.RATE_LIMITED);
    expect(await alice.say('general', 'one', 'e1')).toEqual(first);
  });

  it('does not use up the id of a refused send', async () => {
    const clock = manualClock();
    await using srv = await startOneProcess({ RATE_LIMIT_BURST: '1', RATE_LIMIT_PER_SEC: '2' }, { clock });
    const alice = await srv.user('alice');
    await alice.join('general');
    await alice.say('general', 'first');
    alice.send({ type: 'send', room: 'general', id: 'later', text: 'second' });
    await alice.nextError(ERROR_CODES.RATE_LIMITED);
    clock.advance(700);
    const ack = await alice.say('general', 'second', 'later');
    expect(ack.seq).toBe(2);
  });
});
