/** PROTOCOL.md › Errors and close codes: 1008 for abuse on one connection. */
import { CLOSE_CODES, ERROR_CODES, LIMITS } from '@tether/protocol';
import { describe, expect, it } from 'vitest';

import { isError } from './helpers/client.js';
import { manualClock } from './helpers/clock.js';
import { startTestServer } from './helpers/server.js';

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

  it('does not count errors other than bad_request toward the bad_request allowance', async () => {
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
