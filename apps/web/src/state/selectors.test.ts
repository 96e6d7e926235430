import type { Message } from '@tether/protocol';
import { describe, expect, it } from 'vitest';

import { alice, bob } from '../test/frames';
import { mergeMessages, NO_MESSAGES } from './messages';
import { messageViews, roomViews, typingNames } from './selectors';
import { emptyRoom } from './reducers';
import type { OutboxItem } from './types';

const m = (seq: number, from = bob, id = `i${seq}`): Message => ({
  room: 'r',
  seq,
  ts: seq,
  id,
  from,
  text: `#${seq}`,
});

describe('messageViews', () => {
  it('lists stored messages by seq, then unsent ones with their state', () => {
    const held = mergeMessages(NO_MESSAGES, [m(2), m(1)]);
    const outbox: OutboxItem[] = [
      { id: 'c_a', room: 'r', text: 'queued', createdAt: 100, state: 'sending' },
      { id: 'c_b', room: 'other', text: 'elsewhere', createdAt: 101, state: 'sending' },
      { id: 'c_c', room: 'r', text: 'refused', createdAt: 102, state: 'failed', error: 'text_too_long' },
    ];
    const views = messageViews(held, outbox, 'r', alice);
    expect(views.map((v) => [v.seq, v.status, v.own])).toEqual([
      [1, 'sent', false],
      [2, 'sent', false],
      [null, 'sending', true],
      [null, 'failed', true],
    ]);
    expect(views[3]).toMatchObject({ error: 'text_too_long', from: alice, ts: 102 });
  });

  it('keeps the key of our message from sending to sent', () => {
    const pending = messageViews(
      NO_MESSAGES,
      [{ id: 'c_a', room: 'r', text: 'x', createdAt: 1, state: 'sending' }],
      'r',
      alice,
    );
    const sent = messageViews(mergeMessages(NO_MESSAGES, [m(1, alice, 'c_a')]), [], 'r', alice);
    expect(sent[0]?.key).toBe(pending[0]?.key);
  });

  it('reuses the view of a message that did not change', () => {
    const first = m(1);
    const a = messageViews(mergeMessages(NO_MESSAGES, [first]), [], 'r', alice);
    const b = messageViews(mergeMessages(NO_MESSAGES, [first, m(2)]), [], 'r', alice);
    expect(b[0]).toBe(a[0]);
  });

  it('does not show an outbox item twice once its message is stored', () => {
    const views = messageViews(
      mergeMessages(NO_MESSAGES, [m(1, alice, 'c_a')]),
      [{ id: 'c_a', room: 'r', text: 'x', createdAt: 1, state: 'sending' }],
      'r',
      alice,
    );
    expect(views).toHaveLength(1);
  });
});

describe('roomViews and typingNames', () => {
  it('lists rooms in join order', () => {
    const byName = new Map([
      ['a', emptyRoom('a')],
      ['b', emptyRoom('b')],
    ]);
    expect(roomViews(['b', 'a'], byName).map((r) => r.name)).toEqual(['b', 'a']);
  });

  it('names who types, without ourselves', () => {
    const inRoom = new Map([
      [bob.id, { user: bob, until: 5 }],
      [alice.id, { user: alice, until: 6 }],
    ]);
    const typing = { byRoom: new Map([['r', inRoom]]) };
    expect(typingNames(typing, 'r', alice.id)).toEqual(['bob']);
    expect(typingNames(typing, 'other', alice.id)).toEqual([]);
  });
});
