import { describe, expect, it } from 'vitest';

import { randomBase64url } from './random.js';

describe('randomBase64url', () => {
  it('gives the asked number of bytes, never the same twice, across pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const token = randomBase64url(32);
      expect(Buffer.from(token, 'base64url')).toHaveLength(32);
      seen.add(token);
    }
    expect(seen.size).toBe(1000);
  });
});
