/**
 * docs/protocol.md › Close codes: a connection beyond MAX_CONNECTIONS is closed
 * with 1013 (try again later); those admitted are unaffected, and a freed
 * slot admits the next one.
 */
import { setTimeout as sleep } from 'node:timers/promises';

import { CLOSE_CODES } from '@tether/protocol';
import { describe, expect, it } from 'vitest';

import { isMessage, type TestClient } from '../helpers/client.js';
import { sample, scrape } from '../helpers/metrics.js';
import { startOneProcess, type TestServer } from '../helpers/server.js';

/** Connects until one is admitted (a freed slot may take a moment to be seen), bounded. */
async function connectAdmitted(srv: TestServer, timeoutMs: number): Promise<TestClient> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = await srv.connect();
    try {
      await client.hello(`late${Date.now()}`);
      return client;
    } catch (error) {
      client.terminate();
      if (Date.now() > deadline) throw error;
      await sleep(50);
    }
  }
}

describe('MAX_CONNECTIONS', () => {
  it('closes the connection beyond MAX_CONNECTIONS with 1013', async () => {
    await using srv = await startOneProcess({ MAX_CONNECTIONS: '2' });
    const a = await srv.user('a');
    // A connection holds its slot from the handshake on, before any hello.
    const b = await srv.connect();
    const extra = await srv.connect();
    expect((await extra.closed()).code).toBe(CLOSE_CODES.TRY_AGAIN_LATER);
    // The admitted ones are unaffected.
    await a.roundTrip();
    await b.hello('b');
  });

  it('admits a new connection once a slot is free again', async () => {
    await using srv = await startOneProcess({ MAX_CONNECTIONS: '2' });
    const a = await srv.user('a');
    await srv.user('b');
    const refused = await srv.connect();
    expect((await refused.closed()).code).toBe(1013);
    await a.close();
    const c = await connectAdmitted(srv, 2000);
    await c.roundTrip();
  });

  it('closes connection MAX_CONNECTIONS + 1 with 1013; the others keep chatting', async () => {
    const MAX = 20;
    await using srv = await startOneProcess({
      MAX_CONNECTIONS: String(MAX),
      RATE_LIMIT_BURST: '1000',
      RATE_LIMIT_PER_SEC: '1000',
    });
    const members: TestClient[] = [];
    for (let i = 0; i < MAX; i++) {
      const client = await srv.user(`member${i}`);
      await client.join('general');
      members.push(client);
    }
    for (const client of members) client.clear();

    // One over the limit, then a few more at once: each is told to come back later.
    const extra = await srv.connect();
    expect((await extra.closed()).code).toBe(CLOSE_CODES.TRY_AGAIN_LATER);
    const more = await Promise.all(Array.from({ length: 5 }, () => srv.connect()));
    for (const client of more) expect((await client.closed()).code).toBe(CLOSE_CODES.TRY_AGAIN_LATER);

    // The admitted ones are unaffected: everyone's message reaches everyone, in seq order.
    await sleep(50);
    for (const [i, client] of members.entries()) {
      expect(client.isOpen(), `member${i}`).toBe(true);
      await client.say('general', `from member${i}`);
    }
    for (const client of members) {
      const messages = await client.collect(MAX, isMessage);
      expect(messages.map((m) => m.seq)).toEqual(Array.from({ length: MAX }, (_, i) => i + 1));
    }
    expect(sample(await scrape(srv.url), 'tether_connections')).toBe(MAX);
  });
});
