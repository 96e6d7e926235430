import { randomBytes } from 'node:crypto';

/** A random id with a readable prefix, e.g. `u_3q2x…` (96 random bits). */
export function randomId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('base64url')}`;
}
