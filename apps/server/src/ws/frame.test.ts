import { createRequire } from 'node:module';

import { describe, expect, it } from 'vitest';

import { parseServerMessage } from '@tether/protocol';

import { encodeJoinedFrame, textFrame } from './frame.js';

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

describe('encodeJoinedFrame', () => {
  it.each([0, 1, 3, 2_000])(
    'frames a joined answer around %i pre-encoded members that ws decodes and the schema accepts',
    async (n) => {
      const members = Array.from({ length: n }, (_, i) => ({ id: `u_${i}`, name: `user ${i} ☃` }));
      // The list as MemberList hands it over: a JSON array in chunks of up to 128 members.
      const chunks = [Buffer.from('[')];
      for (let at = 0; at < n; at += 128) {
        if (at > 0) chunks.push(Buffer.from(','));
        chunks.push(
          Buffer.from(
            members
              .slice(at, at + 128)
              .map((m) => JSON.stringify(m))
              .join(','),
          ),
        );
      }
      chunks.push(Buffer.from(']'));
      const joined = {
        room: 'general',
        epoch: 'e_1',
        seq: 7,
        messages: [
          { room: 'general', seq: 7, ts: 1, id: 'c_1', from: { id: 'u_0', name: 'a' }, text: 'hé "x"' },
        ],
        hasMore: true,
      };
      const frame = encodeJoinedFrame(joined, chunks);
      const bytes = Buffer.concat([frame.bytes, ...(frame.more ?? [])]);
      expect(frame.byteLength).toBe(bytes.length);
      const parsed = parseServerMessage(await decode(bytes));
      expect(parsed).toEqual({ ok: true, message: { type: 'joined', ...joined, members } });
    },
  );
});
