import { describe, expect, it } from 'vitest';

import type { OutboxItem } from './types';
import { enqueue, markFailed, markSending, parseOutbox, removeItem } from './outbox';

function item(id: string, createdAt = 1): OutboxItem {
  return { id, room: 'general', text: `text ${id}`, createdAt, state: 'sending' };
}

describe('outbox', () => {
  it('enqueues up to the limit and refuses beyond it', () => {
    const items = enqueue([item('a')], item('b'), 2);
    expect(items?.map((i) => i.id)).toEqual(['a', 'b']);
    expect(enqueue(items ?? [], item('c'), 2)).toBeNull();
  });

  it('marks failed with the code, and sending again without it', () => {
    const failed = markFailed([item('a'), item('b')], 'b', 'text_too_long');
    expect(failed[1]).toEqual({ ...item('b'), state: 'failed', error: 'text_too_long' });
    const again = markSending(failed, 'b');
    expect(again[1]).toEqual(item('b'));
    expect(again[0]).toBe(failed[0]);
  });

  it('returns the same array when nothing changes', () => {
    const items = [item('a')];
    expect(removeItem(items, 'zzz')).toBe(items);
    expect(markSending(items, 'a')).toBe(items);
    expect(markSending(items, 'zzz')).toBe(items);
  });

  it('reads back stored items, skipping malformed and repeated ones, oldest first', () => {
    const stored: unknown = [
      item('b', 2),
      { ...item('a', 1), state: 'failed', error: 'internal', extra: true },
      item('b', 3),
      { id: 'x' },
      null,
      'junk',
      { ...item('c'), state: 'delivered' },
      { ...item('d'), error: 5 },
    ];
    expect(parseOutbox(stored)).toEqual([
      { ...item('a', 1), state: 'failed', error: 'internal' },
      item('b', 2),
    ]);
    expect(parseOutbox({ not: 'an array' })).toEqual([]);
  });

  it('caps what it reads back', () => {
    const stored = Array.from({ length: 10 }, (_, i) => item(`m${i}`, i));
    expect(parseOutbox(stored, 3).map((i) => i.id)).toEqual(['m0', 'm1', 'm2']);
  });
});
