import { randomBase64url } from './random.js';

/** A random id with a readable prefix, e.g. `u_3q2x…` (96 random bits). */
export function randomId(prefix: string): string {
  return `${prefix}_${randomBase64url(12)}`;
}
