/**
 * A free loopback port. Kept apart from the other helpers on purpose: the
 * `server-redis` global setup imports it, and runs without the workspace's
 * source condition, so it must not pull in `@tether/protocol`.
 */
import { createServer } from 'node:net';

/** A port that was free a moment ago (listen on 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
