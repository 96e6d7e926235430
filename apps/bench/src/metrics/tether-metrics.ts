/**
 * Tether's own view of its memory, from GET /metrics (prom-client's default
 * Node.js metrics): the V8 heap and external memory, to tell memory a
 * connection keeps from heap the process grew to and has not returned.
 */
import { request } from 'node:http';

export interface TetherMemory {
  heapUsed: number;
  heapTotal: number;
  external: number;
  rss: number;
}

function get(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(body));
    });
    req.once('error', reject);
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

function gauge(text: string, name: string): number {
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

export async function tetherMemory(port: number): Promise<TetherMemory | undefined> {
  try {
    const text = await get(port, '/metrics');
    return {
      heapUsed: gauge(text, 'tether_nodejs_heap_size_used_bytes'),
      heapTotal: gauge(text, 'tether_nodejs_heap_size_total_bytes'),
      external: gauge(text, 'tether_nodejs_external_memory_bytes'),
      rss: gauge(text, 'tether_process_resident_memory_bytes'),
    };
  } catch {
    return undefined;
  }
}
