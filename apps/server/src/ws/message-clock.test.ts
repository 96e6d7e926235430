import { describe, expect, it } from 'vitest';

import { FragmentGuard } from './fragment-guard.js';

/** A masked client frame (RFC 6455 §5.2) with a zero mask, so payload bytes are plain. */
function frame(opcode: number, fin: boolean, payloadLength: number): Buffer {
  const ext = payloadLength < 126 ? 0 : payloadLength < 65_536 ? 2 : 8;
  const header = Buffer.alloc(2 + ext + 4);
  header[0] = (fin ? 0x80 : 0) | opcode;
  if (ext === 0) header[1] = 0x80 | payloadLength;
  else if (ext === 2) {
    header[1] = 0x80 | 126;
    header.writeUInt16BE(payloadLength, 2);
  } else {
    header[1] = 0x80 | 127;
    header.writeUInt32BE(0, 2);
    header.writeUInt32BE(payloadLength, 6);
  }
  return Buffer.concat([header, Buffer.alloc(payloadLength, 0x61)]);
}

function guard(maxFragments = 3) {
  let now = 1000;
  let tripped = 0;
  const g = new FragmentGuard({ now: () => now, maxFragments, onTooManyFragments: () => tripped++ });
  return {
    g,
    tripped: () => tripped,
    at: (t: number) => {
      now = t;
    },
  };
}

describe('FragmentGuard', () => {
  it('sees a single-frame message start and end', () => {
    const { g, tripped } = guard();
    g.push(frame(1, true, 10));
    expect(g.messageStartedAt).toBeUndefined();
    expect(g.fragments).toBe(0);
    expect(tripped()).toBe(0);
  });

  it('keeps a message in progress until the last byte of its final frame', () => {
    const { g } = guard();
    const bytes = frame(1, true, 300);
    g.push(bytes.subarray(0, 100));
    expect(g.messageStartedAt).toBe(1000);
    g.push(bytes.subarray(100, bytes.length - 1));
    expect(g.messageStartedAt).toBe(1000);
    g.push(bytes.subarray(bytes.length - 1));
    expect(g.messageStartedAt).toBeUndefined();
  });

  it('parses headers split across chunks at every byte, with 16- and 64-bit lengths', () => {
    const { g, tripped } = guard(2);
    const bytes = Buffer.concat([frame(1, false, 70_000), frame(0, false, 200), frame(0, true, 0)]);
    for (let i = 0; i < bytes.length; i += 7) g.push(bytes.subarray(i, i + 7));
    expect(g.messageStartedAt).toBeUndefined();
    expect(tripped()).toBe(1); // three data frames > 2
  });

  it('does not count control frames between fragments, nor end the message with them', () => {
    const { g, tripped } = guard(3);
    g.push(Buffer.concat([frame(1, false, 1), frame(9, true, 4), frame(0, false, 1), frame(10, true, 0)]));
    expect(g.fragments).toBe(2);
    expect(g.messageStartedAt).toBe(1000);
    g.push(frame(0, true, 1));
    expect(g.messageStartedAt).toBeUndefined();
    expect(tripped()).toBe(0);
  });

  it('trips once when a message goes past the fragment cap', () => {
    const { g, tripped } = guard(3);
    g.push(frame(1, false, 1));
    for (let i = 0; i < 10; i++) g.push(frame(0, false, 1));
    expect(tripped()).toBe(1);
  });

  it('counts fragments per message, not per connection', () => {
    const { g, tripped, at } = guard(3);
    for (let m = 0; m < 5; m++) {
      at(2000 + m);
      g.push(Buffer.concat([frame(1, false, 1), frame(0, false, 1), frame(0, true, 1)]));
      expect(g.messageStartedAt).toBeUndefined();
    }
    at(3000);
    g.push(frame(2, false, 1));
    expect(g.messageStartedAt).toBe(3000);
    expect(tripped()).toBe(0);
  });
});
