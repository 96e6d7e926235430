/** PROTOCOL.md › Limits: a slow consumer (4 MiB unsent) is terminated and resumes. */
import { describe, expect, it } from 'vitest';

import { isAck } from './helpers/client.js';
import { startTestServer } from './helpers/server.js';

describe('slow consumer', () => {
  it(
    'terminates a connection that stops reading, and the client resumes where it was',
    { timeout: 30_000 },
    async () => {
      await using srv = await startTestServer({
        RATE_LIMIT_PER_SEC: '100000',
        RATE_LIMIT_BURST: '100000',
        PRESENCE_GRACE_MS: '200',
      });
      const writer = await srv.user('writer');
      const watcher = await srv.user('watcher');
      const slow = await srv.connect();
      const { epoch } = await writer.join('general');
      await watcher.join('general');
      await slow.hello('slow');
      const seen = (await slow.join('general')).seq;
      await writer.next('presence');
      // Stop reading: TCP backpressure then fills the server's send buffer.
      slow.socket().pause();

      // Push until the watcher sees the slow user's connection dropped (left after
      // the grace period), bounded at ~60 MB of room traffic.
      const text = 'x'.repeat(4000);
      let batches = 0;
      let left = false;
      while (!left && batches < 60) {
        for (let i = 0; i < 250; i++)
          writer.send({ type: 'send', room: 'general', id: `s${batches}_${i}`, text });
        await writer.collect(250, isAck, 10_000, 'ack');
        writer.discard('message');
        watcher.discard('message');
        batches += 1;
        left = watcher.queued().some((f) => f.type === 'presence' && f.state === 'left');
      }
      const gone = await watcher.nextWhere(
        (f) => f.type === 'presence' && f.state === 'left',
        2000,
        'presence left for the slow user',
      );
      expect(gone).toMatchObject({ room: 'general', user: slow.user });
      // The slow client, reading again, finds its connection gone without a close frame.
      slow.socket().resume();
      expect((await slow.closed(10_000)).code).toBe(1006);

      // It resumes with its token and since/epoch and gets what it missed (up to RESUME_LIMIT).
      const back = await srv.user('slow', slow.token);
      const joined = await back.join('general', { since: seen, epoch });
      const total = batches * 250;
      expect(joined.seq).toBe(total);
      expect(joined.messages.at(-1)!.seq).toBe(total);
    },
  );
});
