import { createHash } from 'node:crypto';

import { randomBase64url } from '../util/random.js';

/** A session token: 256 random bits, URL-safe. */
export function newToken(): string {
  return randomBase64url(32);
}

/**
 * Only this hash is stored. Tokens are high-entropy random values, so a fast
 * hash is enough: there is nothing to brute-force as there is for passwords.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
