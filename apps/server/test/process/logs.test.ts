/**
 * Logs stay bounded under abuse: a refused request is one short line without
 * a stack trace, and repeated refusals from one source are sampled. Before,
 * each refused static path logged a full stack trace: 3.9 MB/s of log from
 * one client.
 */
import { Agent, request } from 'node:http';

import { ERROR_CODES } from '@tether/protocol';
import { describe, expect, it } from 'vitest';

import { TestClient } from '../helpers/client.js';
import { launchServer } from '../helpers/child.js';

const bytes = (lines: readonly string[]) => lines.reduce((sum, line) => sum + Buffer.byteLength(line) + 1, 0);

/** GETs `path` and resolves with the status, on a keep-alive agent. */
function get(agent: Agent, port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('logs under abuse', () => {
  it('grow by a bounded amount under 10,000 refused requests, one short line each, sampled', async () => {
    const server = await launchServer({ LOG_LEVEL: 'info', NEW_USERS_PER_HOUR: '1' });
    const before = bytes(server.child.stdout);
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    try {
      const paths = ['/%2e%2e/etc/passwd', '/..%2f..%2fsecret', '/%00', '/assets/missing.js'];
      let refused = 0;
      for (let i = 0; i < 10_000; i += 8) {
        const statuses = await Promise.all(
          Array.from({ length: 8 }, (_, j) =>
            get(agent, server.port, paths[(i + j) % paths.length] as string),
          ),
        );
        refused += statuses.filter((status) => status >= 400).length;
      }
      expect(refused).toBe(10_000);
    } finally {
      agent.destroy();
    }
    // Refused WebSocket requests too: users beyond the address's budget.
    const client = await TestClient.connect(server.wsUrl);
    await client.hello('first');
    for (let i = 0; i < 50; i++) {
      const extra = await TestClient.connect(server.wsUrl);
      extra.send({ type: 'hello', v: 1, name: `extra${i}` });
      await extra.nextError(ERROR_CODES.RATE_LIMITED);
      extra.terminate();
    }
    await client.roundTrip();
    const grown = bytes(server.child.stdout) - before;
    const refusals = server.child.stdout.filter((line) => line.includes('refused a request'));
    // A few lines a minute from one source, not one per request.
    expect(refusals.length).toBeLessThanOrEqual(10);
    expect(grown).toBeLessThan(20_000);
    for (const line of refusals) {
      expect(line.length).toBeLessThan(400);
      expect(line).not.toContain('stack');
    }
    // The last sampled line says how many were left out.
    expect(refusals.some((line) => /"suppressed":\d+/.test(line))).toBe(true);
  }, 60_000);
});
