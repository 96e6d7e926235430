/**
 * Message texts carry what the metrics need, readable with a byte scan:
 * `~<send time, µs, 13 digits>~<sender counter>~` padded with `x` to the
 * text size (128 bytes by default). No server under test puts `~` anywhere
 * else in a message frame (room names, user names and ids are ours).
 */
const TILDE = 0x7e;
const CHAR_0 = 0x30;

export const TEXT_BYTES = 128;

export function makeText(sentAtMicros: number, counter: number, size = TEXT_BYTES): string {
  const head = `~${String(Math.floor(sentAtMicros)).padStart(13, '0')}~${counter}~`;
  return head.length >= size ? head : head + 'x'.repeat(size - head.length);
}

/** Where the stamp of a message frame starts (its first `~`), or -1. */
function stampAt(buf: Buffer, start: number, end: number): number {
  const at = buf.indexOf(TILDE, start);
  return at < 0 || at + 15 >= end ? -1 : at;
}

/** The send time (µs) stamped in a message frame, or -1. */
export function readSentAt(buf: Buffer, start: number, end: number): number {
  const at = stampAt(buf, start, end);
  if (at < 0) return -1;
  let n = 0;
  for (let i = at + 1; i < at + 14; i++) n = n * 10 + ((buf[i] as number) - CHAR_0);
  return n;
}

/** The sender's counter stamped in a message frame, or -1. */
export function readCounter(buf: Buffer, start: number, end: number): number {
  const at = stampAt(buf, start, end);
  if (at < 0) return -1;
  let n = 0;
  let i = at + 15;
  const from = i;
  for (; i < end; i++) {
    const c = buf[i] as number;
    if (c === TILDE) break;
    n = n * 10 + (c - CHAR_0);
  }
  return i === from ? -1 : n;
}

/** The same two fields from a text already decoded (history pages). */
export function parseText(text: string): { sentAt: number; counter: number } | undefined {
  const match = /^~(\d{13})~(\d+)~/.exec(text);
  return match ? { sentAt: Number(match[1]), counter: Number(match[2]) } : undefined;
}

/** The generator's clock in µs (monotonic, shared by senders and receivers in one process). */
export function nowMicros(): number {
  return performance.now() * 1000;
}
