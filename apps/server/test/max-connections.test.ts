/** PROTOCOL.md › Errors and close codes: 1013 at MAX_CONNECTIONS. */
import { setTimeout as sleep } from 'node:timers/promises';

import { CLOSE_CODES } from '@tether/protocol';
import { describe, expect, it } from 'vitest';

import type { TestClient } from './helpers/client.js';
import { startTestServer, type TestServer } from './helpers/server.js';

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
    await using srv = await startTestServer({ MAX_CONNECTIONS: '2' });
    const a = await srv.user('a');
    const b = await srv.connect();
    const extra = await srv.connect();
    expect((await extra.closed()).code).toBe(CLOSE_CODES.TRY_AGAIN_LATER);
    // The admitted ones are unaffected.
    await a.roundTrip();
    await b.hello('b');
  });

  it('admits a new connection once a slot is free again', async () => {
    await using srv = await startTestServer({ MAX_CONNECTIONS: '2' });
    const a = await srv.user('a');
    await srv.user('b');
    const refused = await srv.connect();
    expect((await refused.closed()).code).toBe(1013);
    await a.close();
    const c = await connectAdmitted(srv, 2000);
    await c.roundTrip();
  });
});
