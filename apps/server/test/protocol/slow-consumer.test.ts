/**
 * docs/protocol.md › Limits: a connection with more than 4 MiB unsent (a slow
 * consumer) is terminated; the room's other members keep receiving, the
 * room hears after the grace period that it left, and the client resumes
 * with every message.
 */
import { LIMITS } from '@tether/protocol';
import { describe, expect, it } from 'vitest';

import { isAck, isMessage } from '../helpers/client.js';
import { sample, scrape } from '../helpers/metrics.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const UNLIMITED = { RATE_LIMIT_PER_SEC: '100000', RATE_LIMIT_BURST: '100000' };

async function slowConsumerTerminations(srv: TestServer): Promise<number> {
  return sample(await scrape(srv.url), 'tether_slow_consumer_terminations_total');
}

describe('slow consumer', () => {
  it(
    'terminates a client that stops reading near the 4 MiB mark while its room gets 20 MB; the others get everything; it resumes with every message',
    { timeout: 60_000 },
    async () => {
      await using srv = await startTestServer({ ...UNLIMITED, PRESENCE_GRACE_MS: '200' });
      const writer = await srv.user('writer');
      const watcher = await srv.user('watcher');
      const slow = await srv.user('slow');
      const { epoch } = await writer.join('general');
      await watcher.join('general');
      const seen = (await slow.join('general')).seq;
      await writer.next('presence');
      slow.socket().pause();

      const text = 'x'.repeat(4000);
      const BATCH = 250;
      const TOTAL_BYTES = 20 * 1024 * 1024;
      let sentBytes = 0;
      let sent = 0;
      let terminatedAt: number | undefined;
      let watcherLast = seen;
      while (sentBytes < TOTAL_BYTES) {
        for (let i = 0; i < BATCH; i++) {
          writer.send({ type: 'send', room: 'general', id: `s${sent + i}`, text });
        }
        const acks = await writer.collect(BATCH, isAck, 10_000, 'ack');
        writer.discard('message');
        // The watcher keeps getting every message, in order.
        const messages = await watcher.collect(BATCH, isMessage, 10_000, 'message');
        for (const m of messages) {
          expect(m.seq).toBe(watcherLast + 1);
          watcherLast = m.seq;
        }
        sent += BATCH;
        // What the room sent to each connection: the message frames' bytes.
        sentBytes += messages.reduce((n, m) => n + Buffer.byteLength(JSON.stringify(m)) + 4, 0);
        expect(acks.at(-1)!.seq).toBe(seen + sent);
        if (terminatedAt === undefined && (await slowConsumerTerminations(srv)) > 0) terminatedAt = sentBytes;
      }
      const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
      console.log(
        `slow consumer: room got ${mib(sentBytes)} (${sent} messages); the paused client was terminated after ${
          terminatedAt === undefined ? 'never' : mib(terminatedAt)
        }`,
      );
      // Terminated after its 4 MiB of unsent data plus what the kernel's socket
      // buffers took on both ends (a few MiB on loopback), long before 20 MB.
      expect(terminatedAt).toBeDefined();
      expect(terminatedAt!).toBeGreaterThanOrEqual(LIMITS.SLOW_CONSUMER_BYTES);
      expect(terminatedAt!).toBeLessThanOrEqual(LIMITS.SLOW_CONSUMER_BYTES + 8 * 1024 * 1024);
      expect(await slowConsumerTerminations(srv)).toBe(1);
      expect(writer.isOpen() && watcher.isOpen()).toBe(true);
      // Dropped without a close frame: after the grace period the room hears it left.
      const gone = await watcher.nextWhere(
        (f) => f.type === 'presence' && f.state === 'left',
        2000,
        'presence left for the slow user',
      );
      expect(gone).toMatchObject({ room: 'general', user: slow.user });

      slow.socket().resume();
      expect((await slow.closed(10_000)).code).toBe(1006);

      // It comes back with its token, resumes from what it had, and pages back
      // through history for what is beyond RESUME_LIMIT: every message, once.
      const back = await srv.user('slow', slow.token);
      const joined = await back.join('general', { since: seen, epoch });
      expect(joined.seq).toBe(seen + sent);
      const have = new Map(joined.messages.map((m) => [m.seq, m]));
      let before = joined.messages[0]!.seq;
      let hasMore = joined.hasMore;
      while (hasMore && before > seen + 1) {
        back.send({ type: 'history', room: 'general', before, limit: LIMITS.HISTORY_MAX_LIMIT });
        const page = await back.next('history', 5000);
        for (const m of page.messages) if (m.seq > seen) have.set(m.seq, m);
        before = page.messages[0]!.seq;
        hasMore = page.hasMore;
      }
      expect([...have.keys()].sort((a, b) => a - b)).toEqual(
        Array.from({ length: sent }, (_, i) => seen + 1 + i),
      );
      expect(new Set([...have.values()].map((m) => m.id)).size).toBe(sent);
    },
  );
});
