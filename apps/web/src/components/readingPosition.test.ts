import { describe, expect, it } from 'vitest';

import { closestIndex, positionInView } from './readingPosition';
import { entry } from './test-utils';

/** Rows of 50 px from 64 px down (the list's top padding), with seqs 10, 11, … */
function list(n: number) {
  const entries = Array.from({ length: n }, (_, i) => entry({ text: `t${i}`, seq: 10 + i }));
  const rows = entries.map((_, index) => ({ index, start: 64 + index * 50, end: 64 + (index + 1) * 50 }));
  return { entries, rows };
}

describe('positionInView', () => {
  it('names the first message wholly in view and how far below the top it is', () => {
    const { entries, rows } = list(20);
    expect(positionInView(rows, entries, 0, 300)).toEqual({ kind: 'at', seq: 10, offset: 64 });
    // 64 + 3 * 50 = 214: row 3 starts 14 px below a view scrolled to 200.
    expect(positionInView(rows, entries, 200, 300)).toEqual({ kind: 'at', seq: 13, offset: 14 });
    expect(positionInView(rows, entries, 214, 300)).toEqual({ kind: 'at', seq: 13, offset: 0 });
  });

  it('skips unsent messages, which have no seq to come back to', () => {
    const { entries, rows } = list(4);
    const unsent = entries.map((e, i) => (i === 1 ? { ...e, seq: null } : e));
    expect(positionInView(rows, unsent, 100, 300)).toEqual({ kind: 'at', seq: 12, offset: 64 });
  });

  it('takes the message across the top, with a negative offset, when one fills the view', () => {
    const entries = [entry({ text: 'a', seq: 1 }), entry({ text: 'b', seq: 2 })];
    const rows = [
      { index: 0, start: 0, end: 2000 },
      { index: 1, start: 2000, end: 2050 },
    ];
    expect(positionInView(rows, entries, 500, 600)).toEqual({ kind: 'at', seq: 1, offset: -500 });
  });

  it('names nothing when no stored message is in view', () => {
    const { entries, rows } = list(3);
    expect(
      positionInView(
        rows,
        entries.map((e) => ({ ...e, seq: null })),
        0,
        300,
      ),
    ).toBeNull();
    expect(positionInView([], entries, 0, 300)).toBeNull();
  });
});

describe('closestIndex', () => {
  const entries = [5, 6, 9, 12].map((seq) => entry({ text: `s${seq}`, seq }));

  it('finds the message by seq, or the one held closest to it', () => {
    expect(closestIndex(entries, 9)).toBe(2);
    expect(closestIndex(entries, 1)).toBe(0);
    expect(closestIndex(entries, 8)).toBe(2);
    expect(closestIndex(entries, 400)).toBe(3);
  });

  it('finds nothing among unsent messages only', () => {
    expect(closestIndex([entry({ text: 'x', status: 'sending' })], 3)).toBe(-1);
    expect(closestIndex([], 3)).toBe(-1);
  });
});
