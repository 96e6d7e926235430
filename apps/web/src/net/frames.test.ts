import { describe, expect, it } from 'vitest';

import { decodeServerFrame, encodeClientFrame } from './frames';

describe('frames', () => {
  it('decodes a server frame with a known type', () => {
    expect(decodeServerFrame('{"type":"pong","t":5}')).toEqual({ type: 'pong', t: 5 });
    const renamed = { type: 'renamed', user: { id: 'u_1', name: 'alicia' } };
    expect(decodeServerFrame(JSON.stringify(renamed))).toEqual(renamed);
  });

  it('refuses junk without throwing', () => {
    for (const junk of [
      '',
      'not json',
      '<html>',
      '42',
      'null',
      '[]',
      '{"t":1}',
      '{"type":"nope"}',
      '{"type":"constructor"}',
      '{"type":"__proto__"}',
      '{"type":7}',
    ]) {
      expect(decodeServerFrame(junk)).toBeNull();
    }
    expect(decodeServerFrame(new ArrayBuffer(4))).toBeNull();
  });

  it('encodes client frames as JSON', () => {
    expect(encodeClientFrame({ type: 'typing', room: 'general' })).toBe('{"type":"typing","room":"general"}');
  });
});
