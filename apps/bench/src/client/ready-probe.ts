/** `GET /readyz` as a reconnecting Tether client asks it: true on 200, false on anything else. */
import { request } from 'node:http';

/** A probe that has no answer within this long counts as "not ready". */
const PROBE_TIMEOUT_MS = 1000;

export function readyz(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host, port, path: '/readyz', agent: false, timeout: PROBE_TIMEOUT_MS }, (res) => {
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
