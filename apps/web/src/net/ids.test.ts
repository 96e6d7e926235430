import { MESSAGE_ID_PATTERN } from '@tether/protocol';
import { describe, expect, it } from 'vitest';

import { createMessageId } from './ids';

describe('createMessageId', () => {
  it('is c_ and 22 base64url characters, valid as a protocol message id', () => {
    for (let i = 0; i < 200; i++) {
      const id = createMessageId();
      expect(id).toMatch(/^c_[A-Za-z0-9_-]{22}$/);
      expect(MESSAGE_ID_PATTERN.test(id)).toBe(true);
    }
  });

  it('does not repeat', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => createMessageId()));
    expect(ids.size).toBe(10_000);
  });

  it('encodes the injected random bytes as base64url', () => {
    const id = createMessageId((array) => array.fill(0xff));
    expect(id).toBe('c_' + '_'.repeat(21) + 'w');
    expect(createMessageId((array) => array.fill(0xfb))).toMatch(/^c_[-+_]/);
    expect(createMessageId((array) => array.fill(0xfb))).not.toMatch(/[+/=]/);
  });
});
