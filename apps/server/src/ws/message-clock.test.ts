import { describe, expect, it } from 'vitest';

import { MessageClock } from './message-clock.js';

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

/** A MessageClock fed at a settable time. */
function clock() {
  let now = 1000;
  const inner = new MessageClock();
  const c = {
    push: (chunk: Buffer) => inner.push(chunk, now),
    get messageStartedAt() {
      return inner.messageStartedAt;
    },
  };
  return {
    c,
    at: (t: number) => {
      now = t;
    },
  };
}

describe('MessageClock', () => {
  it('sees a single-frame message start and end', () => {
    const { c } = clock();
    c.push(frame(1, true, 10));
    expect(c.messageStartedAt).toBeUndefined();
  });

  it('keeps a message in progress until the last byte of its final frame', () => {
    const { c } = clock();
    const bytes = frame(1, true, 300);
    c.push(bytes.subarray(0, 100));
    expect(c.messageStartedAt).toBe(1000);
    c.push(bytes.subarray(100, bytes.length - 1));
    expect(c.messageStartedAt).toBe(1000);
    c.push(bytes.subarray(bytes.length - 1));
    expect(c.messageStartedAt).toBeUndefined();
  });

  it('parses headers split across chunks at any byte, with 16- and 64-bit lengths', () => {
    const { c, at } = clock();
    const bytes = Buffer.concat([frame(1, false, 70_000), frame(0, false, 200), frame(0, true, 0)]);
    for (let i = 0; i < bytes.length; i += 7) {
      at(1000 + i);
      c.push(bytes.subarray(i, i + 7));
      // The first header (2 + 8 + 4 bytes) is complete in the second chunk, at t = 1007.
      if (i >= 7 && i + 7 < bytes.length) expect(c.messageStartedAt).toBe(1007);
    }
    expect(c.messageStartedAt).toBeUndefined();
  });

  it('neither starts nor ends a message with control frames between fragments', () => {
    const { c } = clock();
    c.push(frame(9, true, 4));
    expect(c.messageStartedAt).toBeUndefined();
    c.push(Buffer.concat([frame(1, false, 1), frame(9, true, 4), frame(0, false, 1), frame(10, true, 0)]));
    expect(c.messageStartedAt).toBe(1000);
    c.push(frame(0, true, 1));
    expect(c.messageStartedAt).toBeUndefined();
  });

  it('times each message from its own first frame', () => {
    const { c, at } = clock();
    for (let m = 0; m < 5; m++) {
      at(2000 + m);
      c.push(Buffer.concat([frame(1, false, 1), frame(0, false, 1), frame(0, true, 1)]));
      expect(c.messageStartedAt).toBeUndefined();
    }
    at(3000);
    c.push(frame(2, false, 1));
    expect(c.messageStartedAt).toBe(3000);
  });
});
