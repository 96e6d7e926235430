/** Free ports and readiness checks for freshly started servers. */
import { request } from 'node:http';
import net from 'node:net';

import type { ManagedProcess } from '../processes.js';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function probe(port: number, path: string | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    if (path === undefined) {
      const socket = net.connect({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
      return;
    }
    const req = request({ host: '127.0.0.1', port, path, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.once('error', () => resolve(false));
    req.once('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

/**
 * Waits until the server answers (`path` with 200, or a TCP connect when no
 * path), up to `timeoutMs`. Throws if the process exits first or time runs out.
 */
export async function waitReady(
  proc: ManagedProcess,
  port: number,
  path: string | undefined,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (proc.hasExited()) throw new Error(`${proc.name} exited during start; see ${proc.logFile}`);
    if (await probe(port, path)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${proc.name} did not become ready within ${timeoutMs} ms; see ${proc.logFile}`);
}
