/** Reads the server's /metrics (Prometheus text) and /proc figures of a process. */
import { readFile } from 'node:fs/promises';
import { get } from 'node:http';

/** Every sample of a scrape, keyed by `name` or `name{labels}` as written. */
export type Samples = Map<string, number>;

/**
 * Scrapes /metrics on a connection of its own that is closed after the answer
 * (no keep-alive), so the scrape leaves no socket behind on the server.
 */
export function scrape(baseUrl: string, timeoutMs = 5000): Promise<Samples> {
  return new Promise((resolve, reject) => {
    const req = get(`${baseUrl}/metrics`, { agent: false, timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        if (res.statusCode !== 200) {
          reject(new Error(`/metrics answered ${res.statusCode ?? 0}`));
          return;
        }
        const samples: Samples = new Map();
        for (const line of text.split('\n')) {
          if (line === '' || line.startsWith('#')) continue;
          const space = line.lastIndexOf(' ');
          samples.set(line.slice(0, space), Number(line.slice(space + 1)));
        }
        resolve(samples);
      });
    });
    req.on('timeout', () => req.destroy(new Error(`/metrics: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/** A sample's value; throws when the scrape does not have it. */
export function sample(samples: Samples, key: string): number {
  const value = samples.get(key);
  if (value === undefined) {
    const near = [...samples.keys()].filter((k) => k.startsWith(key.split('{')[0]!)).join(', ');
    throw new Error(`no sample ${key} in /metrics (similar: ${near || 'none'})`);
  }
  return value;
}

/** `tether_active_resources{type="…"}` as a map of type → count. */
export function activeResources(samples: Samples): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, value] of samples) {
    const match = /^tether_active_resources\{type="([^"]+)"\}$/.exec(key);
    if (match) out.set(match[1]!, value);
  }
  return out;
}

/** Resident set size of a process in bytes (Linux, /proc/PID/status VmRSS). */
export async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** The p-th percentile (0–100) of `values`, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Polls `probe` every `everyMs` until it returns a value other than undefined, bounded. */
export async function waitFor<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  what: string,
  everyMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
