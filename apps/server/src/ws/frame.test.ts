import { createRequire } from 'node:module';

import { describe, expect, it } from 'vitest';

import { textFrame } from './frame.js';

// ws's frame parser is public at runtime but has no type declarations.
interface FrameReceiver {
  on(event: 'message', listener: (data: Buffer) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  write(chunk: Buffer): void;
}
const { Receiver } = createRequire(import.meta.url)('ws') as {
  Receiver: new (options: { isServer: boolean }) => FrameReceiver;
};

/** Decodes frames with ws's own parser, as a client would. */
function decode(bytes: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const receiver = new Receiver({ isServer: false });
    receiver.on('message', (data: Buffer) => resolve(data.toString('utf8')));
    receiver.on('error', reject);
    receiver.write(bytes);
  });
}

describe('textFrame', () => {
  it.each([0, 1, 125, 126, 65_535, 65_536, 200_000])(
    'encodes a %i-byte payload that ws decodes',
    async (n) => {
      const text = 'x'.repeat(n);
      expect(await decode(textFrame(text).bytes)).toBe(text);
    },
  );

  it('counts UTF-8 bytes, not UTF-16 units', async () => {
    const text = 'héllo 👋 世界';
    const frame = textFrame(text);
    expect(frame.byteLength).toBe(2 + Buffer.byteLength(text));
    expect(await decode(frame.bytes)).toBe(text);
  });
});
