/**
 * Restart storm: 2,000 clients connected to a server that
 * restarts all come back at once (the worst case: no jitter at all). All of
 * them must be back — hello with their token answered, their room joined —
 * within 15 s, and the server's event loop must keep up meanwhile: the p99 of
 * its delay (prom-client's `tether_nodejs_eventloop_lag_p99_seconds`, reset
 * at every scrape, so scraped once as the storm starts and once after) stays
 * under 200 ms.
 *
 * STORM_CLIENTS (default 2000) changes the count.
 */
import { fork } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

import { expect, it, onTestFinished } from 'vitest';

import { SERVER_DIR, spawnServer } from '../helpers/child.js';
import { freePort } from '../helpers/ports.js';
import { percentile, sample, scrape } from '../helpers/metrics.js';
import { OPEN_BUDGETS, makeTempDir } from '../helpers/server.js';

const CLIENTS = Number(process.env.STORM_CLIENTS ?? 2000);
const ROOMS = 20;

interface ConnectResult {
  ok: boolean;
  ms: number;
  back: number[];
  failed: string[];
  /** Close code of each client's previous connection (0: none). */
  closes: number[];
}

/** The clients run in a process of their own, at a low CPU priority: the server gets the CPU first. */
function stormClients() {
  const child = fork(join(SERVER_DIR, 'test/helpers/storm-client.ts'), [], {
    cwd: SERVER_DIR,
    execArgv: ['--conditions=@tether/source', '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  onTestFinished(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return {
    connect(url: string, batch: number, timeoutMs: number): Promise<ConnectResult> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error('the storm clients did not answer')),
          timeoutMs + 30_000,
        );
        child.once('message', (result: ConnectResult) => {
          clearTimeout(timer);
          resolve(result);
        });
        child.send({ cmd: 'connect', url, clients: CLIENTS, rooms: ROOMS, batch, timeoutMs });
      });
    },
    exit() {
      child.send({ cmd: 'exit' });
    },
  };
}

it(
  `brings ${CLIENTS} clients back within 15 s of a restart, the event loop p99 under 200 ms`,
  { timeout: 120_000 },
  async () => {
    const dir = await makeTempDir();
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const port = await freePort();
    const url = `ws://127.0.0.1:${port}/ws`;
    const httpUrl = `http://127.0.0.1:${port}`;
    const env = {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_PATH: join(dir, 'chat.db'),
      ...OPEN_BUDGETS,
      LOG_LEVEL: 'info',
    };
    let child = spawnServer(env);
    await child.listening();
    const clients = stormClients();
    // Setup: everyone connects once (in batches), so everyone has a user and a token.
    const setup = await clients.connect(url, 200, 30_000);
    expect(setup.failed).toEqual([]);
    expect(sample(await scrape(httpUrl), 'tether_connections')).toBe(CLIENTS);

    // Restart: every client is told 1001 and the process exits 0.
    const stopping = Date.now();
    child.kill('SIGTERM');
    expect(await child.exited(15_000)).toEqual({ code: 0, signal: null });
    const stopMs = Date.now() - stopping;

    child = spawnServer(env);
    await child.listening();
    await scrape(httpUrl); // resets the event-loop histogram: the next scrape covers the storm only
    // Everyone at once, no jitter: the worst case.
    const storm = await clients.connect(url, 0, 15_000);
    const metrics = await scrape(httpUrl);
    const lagP99 = sample(metrics, 'tether_nodejs_eventloop_lag_p99_seconds') * 1000;
    const lagMax = sample(metrics, 'tether_nodejs_eventloop_lag_max_seconds') * 1000;
    console.log(
      `restart storm: ${CLIENTS} clients in ${ROOMS} rooms; setup ${setup.ms} ms, shutdown ${stopMs} ms; ` +
        `all back (hello + join) within ${storm.ms} ms (p50 ${percentile(storm.back, 50)} ms); ` +
        `server event-loop delay p99 ${lagP99.toFixed(1)} ms, max ${lagMax.toFixed(1)} ms; failed ${storm.failed.length}`,
    );
    expect(storm.closes.filter((code) => code !== 1001)).toEqual([]);
    expect(storm.failed).toEqual([]);
    expect(storm.back).toHaveLength(CLIENTS);
    expect(storm.ms).toBeLessThan(15_000);
    expect(lagP99).toBeLessThan(200);
    expect(sample(metrics, 'tether_connections')).toBe(CLIENTS);

    clients.exit();
    child.kill('SIGTERM');
    expect((await child.exited(15_000)).code).toBe(0);
  },
);
