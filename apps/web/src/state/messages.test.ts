import type { Message } from '@tether/protocol';
import { describe, expect, it } from 'vitest';

import { bob } from '../test/frames';
import {
  NO_MESSAGES,
  contiguousEnd,
  latestMessages,
  mergeMessages,
  newestSeq,
  oldestSeq,
  sortedMessages,
} from './messages';

const m = (seq: number, text = `#${seq}`): Message => ({
  room: 'r',
  seq,
  ts: seq,
  id: `i${seq}`,
  from: bob,
  text,
});

describe('room messages', () => {
  it('merges by seq: a message already held is not replaced or duplicated', () => {
    const held = mergeMessages(NO_MESSAGES, [m(1), m(2)]);
    const merged = mergeMessages(held, [m(2, 'again'), m(3), m(3, 'twice')]);
    expect(sortedMessages(merged).map((x) => x.text)).toEqual(['#1', '#2', '#3']);
  });

  it('returns the same object when nothing is new', () => {
    const held = mergeMessages(NO_MESSAGES, [m(1)]);
    expect(mergeMessages(held, [m(1)])).toBe(held);
    expect(mergeMessages(held, [])).toBe(held);
  });

  it('sorts by seq whatever the arrival order', () => {
    const held = mergeMessages(NO_MESSAGES, [m(10), m(2), m(7)]);
    expect(sortedMessages(held).map((x) => x.seq)).toEqual([2, 7, 10]);
    expect([oldestSeq(held), newestSeq(held)]).toEqual([2, 10]);
    expect(oldestSeq(NO_MESSAGES)).toBeNull();
  });

  it('finds the end of the gap-free run from the oldest message', () => {
    expect(contiguousEnd(NO_MESSAGES)).toBeNull();
    expect(contiguousEnd(mergeMessages(NO_MESSAGES, [m(3), m(4), m(5)]))).toBe(5);
    expect(contiguousEnd(mergeMessages(NO_MESSAGES, [m(3), m(4), m(6)]))).toBe(4);
  });

  it('takes the latest n', () => {
    const held = mergeMessages(NO_MESSAGES, [m(1), m(2), m(3)]);
    expect(latestMessages(held, 2).map((x) => x.seq)).toEqual([2, 3]);
    expect(latestMessages(held, 5)).toHaveLength(3);
  });
});
