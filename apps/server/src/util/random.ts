import { randomFillSync } from 'node:crypto';

/**
 * Cryptographically random bytes, drawn from a pool refilled 4 KiB at a time:
 * one call into the kernel for about a hundred tokens, where one each cost a
 * connect storm of 5,000 new users about 100 ms of the event loop. Each byte
 * is handed out once (as Node's randomUUID does with its own pool).
 */
const pool = Buffer.alloc(4096);
let used = pool.length;

/** `bytes` random bytes as base64url. */
export function randomBase64url(bytes: number): string {
  if (used + bytes > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  const text = pool.toString('base64url', used, used + bytes);
  used += bytes;
  return text;
}
