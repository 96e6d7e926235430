/** The client frames the decode benchmark measures, as they arrive on the wire. */
export interface BenchFrame {
  name: string;
  raw: string;
  /** What every decoder must answer, checked before anything is timed. */
  valid: boolean;
}

const text = 'hello everyone, the build is green again';

export const FRAMES: readonly BenchFrame[] = [
  {
    name: 'valid send',
    raw: JSON.stringify({ type: 'send', room: 'general', id: 'c_8f3a9b2e41d7', text }),
    valid: true,
  },
  {
    name: 'invalid send (room: 42)',
    raw: JSON.stringify({ type: 'send', room: 42, id: 'c_8f3a9b2e41d7', text }),
    valid: false,
  },
  {
    name: 'valid join (since, epoch)',
    raw: JSON.stringify({ type: 'join', room: 'general', since: 112, epoch: 'e_5f1c9a0d' }),
    valid: true,
  },
  {
    // What a port scanner or a confused client sends: not JSON at all.
    name: 'junk (not JSON)',
    raw: 'GET /ws HTTP/1.1\r\nHost: chat\r\n\u0016\u0003\u0001\u0002\u0000 %$#@!{]',
    valid: false,
  },
  {
    // The longest legal text: shows what scales with frame size.
    name: 'valid send, 4000-char text',
    raw: JSON.stringify({
      type: 'send',
      room: 'general',
      id: 'c_8f3a9b2e41d7',
      text: 'lorem ipsum '.repeat(334).slice(0, 4000),
    }),
    valid: true,
  },
];
