/**
 * Changes of messages in the state: `update` frames, resuming by rev, live
 * frames newer than the copy held, and changes of ours shown before and
 * after their ack.
 */
import type { Message, Update } from '@tether/protocol';
import { describe, expect, it } from 'vitest';

import { alice, bob, joinedFrame, message } from '../test/frames';
import { applyChange, resumePoint, toggleReaction, updateReceived } from './changes';
import { mergeMessages, NO_MESSAGES } from './messages';
import { ackReceived, joinedReceived, messageReceived, roomAdded, roomSelected } from './reducers';
import { messageViews } from './selectors';
import { initialChatState } from './store';
import type { ChatState, OutboxItem } from './types';

function apply(state: ChatState, patch: Partial<ChatState> | null): ChatState {
  return patch ? { ...state, ...patch } : state;
}

/** In #general, joined with messages 1–3 (the stream at 3). */
function joinedWith(messages: Message[] = [1, 2, 3].map((seq) => message('general', seq))): ChatState {
  let state = initialChatState();
  state = apply(state, roomAdded(state, 'general'));
  state = apply(state, roomSelected(state, 'general'));
  return apply(state, joinedReceived(state, joinedFrame('general', messages), alice.id));
}

const held = (state: ChatState, seq: number) => state.messages.byRoom.get('general')?.[seq];
const update = (seq: number, msg: Message): Update => ({
  type: 'update',
  room: 'general',
  seq,
  message: msg,
});

describe('update', () => {
  it('replaces the held message by seq and moves the stream on', () => {
    let state = joinedWith();
    const edited = { ...message('general', 2), text: 'new', rev: 4, edited: 9 };
    state = apply(state, updateReceived(state, update(4, edited)));
    expect(held(state, 2)).toEqual(edited);
    expect(state.rooms.byName.get('general')?.stream).toBe(4);
    expect(state.rooms.byName.get('general')?.seq).toBe(4);
  });

  it('keeps the other messages as they were (same objects: their rows do not re-render)', () => {
    const before = joinedWith();
    const after = apply(before, updateReceived(before, update(4, { ...message('general', 2), rev: 4 })));
    expect(held(after, 1)).toBe(held(before, 1));
    expect(held(after, 3)).toBe(held(before, 3));
  });

  it('never goes back to an older state, whatever order the states come in', () => {
    let state = joinedWith();
    const newest = { ...message('general', 2), text: 'third', rev: 9 };
    state = apply(state, updateReceived(state, update(9, newest)));
    state = apply(
      state,
      updateReceived(state, update(5, { ...message('general', 2), text: 'second', rev: 5 })),
    );
    expect(held(state, 2)).toBe(newest);
  });

  it('of a message not held changes no message, but moves the stream', () => {
    let state = joinedWith();
    state = apply(state, updateReceived(state, update(4, { ...message('general', 99), rev: 4 })));
    expect(held(state, 99)).toBeUndefined();
    expect(state.rooms.byName.get('general')?.stream).toBe(4);
  });

  it('leaves a tombstone in the message’s place', () => {
    let state = joinedWith();
    const tombstone: Message = { ...message('general', 3), text: '', deleted: true, rev: 5 };
    state = apply(state, updateReceived(state, update(5, tombstone)));
    expect(held(state, 3)).toEqual(tombstone);
  });
});

describe('live messages and resumes by rev', () => {
  it('a live message with a newer rev than the copy held replaces it', () => {
    let state = joinedWith();
    const newer = {
      ...message('general', 3),
      reactions: [{ emoji: '👍', count: 1, users: [bob.id] }],
      rev: 7,
    };
    state = apply(state, messageReceived(state, newer, alice.id));
    expect(held(state, 3)).toBe(newer);
  });

  it('resumes from the stream, not from the newest message (an edit takes a seq no message has)', () => {
    let state = joinedWith();
    state = apply(state, updateReceived(state, update(4, { ...message('general', 1), rev: 4 })));
    const view = state.rooms.byName.get('general');
    expect(view && resumePoint(view, state.messages.byRoom.get('general') ?? NO_MESSAGES)).toBe(4);
  });

  it('a resume replaces the changed older messages in place and keeps the rest', () => {
    let state = joinedWith();
    const before = state;
    const changed = { ...message('general', 1), text: 'edited', rev: 5, edited: 1 };
    const resumed = joinedFrame('general', [changed, message('general', 4)], { seq: 5 });
    state = apply(state, joinedReceived(state, resumed, alice.id));
    expect(held(state, 1)).toEqual(changed);
    expect(held(state, 2)).toBe(held(before, 2));
    expect(held(state, 4)).toBeDefined();
    expect(state.rooms.byName.get('general')?.stream).toBe(5);
  });

  it('a resume cut short (hasMore) drops the copy: what is held stays one run without holes', () => {
    let state = joinedWith();
    const resumed = joinedFrame('general', [message('general', 600)], { seq: 600, hasMore: true });
    state = apply(state, joinedReceived(state, resumed, alice.id));
    expect(Object.keys(state.messages.byRoom.get('general') ?? {})).toEqual(['600']);
    expect(state.rooms.byName.get('general')?.hasMore).toBe(true);
  });

  it('merges a page by rev: a newer state wins, an older one never does', () => {
    const one = message('general', 1);
    const newer = { ...one, rev: 5 };
    expect(mergeMessages({ 1: one }, [newer])[1]).toBe(newer);
    const kept = { 1: newer };
    expect(mergeMessages(kept, [one])).toBe(kept);
  });
});

describe('changes of ours', () => {
  const item = (partial: Partial<OutboxItem>): OutboxItem => ({
    id: 'c_1',
    room: 'general',
    text: '',
    createdAt: 1,
    state: 'sending',
    ...partial,
  });

  it('an edit shows the new text and the edit time; the same text changes nothing', () => {
    const mine = message('general', 1, alice, 'old');
    const edit = item({ text: 'new', change: { kind: 'edit', target: 1 } });
    expect(applyChange(mine, edit, alice.id, 42)).toMatchObject({ text: 'new', edited: 42 });
    expect(applyChange(mine, { ...edit, text: 'old' }, alice.id, 42)).toBe(mine);
  });

  it('a delete leaves a tombstone without text, reactions or edit time', () => {
    const mine = {
      ...message('general', 1, alice),
      edited: 3,
      reactions: [{ emoji: 'x', count: 1, users: ['u'] }],
    };
    const tombstone = applyChange(mine, item({ change: { kind: 'delete', target: 1 } }), alice.id, 5);
    expect(tombstone).toEqual({ ...message('general', 1, alice), text: '', deleted: true });
  });

  it('a reaction is added to the count and taken away again', () => {
    const theirs = {
      ...message('general', 1),
      reactions: [{ emoji: '👍', count: 2, users: ['u_x', 'u_y'] }],
    };
    const on = applyChange(
      theirs,
      item({ change: { kind: 'react', target: 1, emoji: '👍', on: true } }),
      alice.id,
      0,
    );
    expect(on.reactions).toEqual([{ emoji: '👍', count: 3, users: ['u_x', 'u_y', alice.id] }]);
    const off = applyChange(
      on,
      item({ change: { kind: 'react', target: 1, emoji: '👍', on: false } }),
      alice.id,
      0,
    );
    expect(off.reactions).toEqual(theirs.reactions);
    expect(toggleReaction(undefined, '🎉', alice.id, false)).toBeUndefined();
    expect(
      toggleReaction([{ emoji: '🎉', count: 1, users: [alice.id] }], '🎉', alice.id, false),
    ).toBeUndefined();
  });

  it('an acked change leaves the outbox and stays shown until its update replaces it', () => {
    let state = joinedWith([message('general', 1, alice, 'old')]);
    const edit = item({ text: 'new', change: { kind: 'edit', target: 1 } });
    state = { ...state, outbox: { items: [edit], full: false } };
    state = apply(
      state,
      ackReceived(state, { type: 'ack', room: 'general', id: 'c_1', seq: 2, ts: 50 }, alice),
    );
    expect(state.outbox.items).toEqual([]);
    expect(held(state, 1)).toMatchObject({ text: 'new', edited: 50 });
    expect(held(state, 2)).toBeUndefined();
    const stored = { ...message('general', 1, alice, 'new'), rev: 2, edited: 50 };
    state = apply(state, updateReceived(state, update(2, stored)));
    expect(held(state, 1)).toBe(stored);
  });

  it('an acked reply keeps what it answers', () => {
    let state = joinedWith();
    const replyTo = { seq: 2, from: bob, text: 'general #2' };
    state = { ...state, outbox: { items: [item({ id: 'c_r', text: 'yes', replyTo })], full: false } };
    state = apply(
      state,
      ackReceived(state, { type: 'ack', room: 'general', id: 'c_r', seq: 4, ts: 1 }, alice),
    );
    expect(held(state, 4)).toMatchObject({ text: 'yes', replyTo });
  });
});

describe('the timeline after an update', () => {
  it('keeps the view object of every message the update did not change (only its row re-renders)', () => {
    let state = joinedWith();
    const views = () =>
      messageViews(state.messages.byRoom.get('general'), state.outbox.items, 'general', alice);
    const before = views();
    state = apply(state, updateReceived(state, update(4, { ...message('general', 2), text: 'new', rev: 4 })));
    const after = views();
    expect(after[0]).toBe(before[0]);
    expect(after[1]).not.toBe(before[1]);
    expect(after[1]).toMatchObject({ text: 'new' });
    expect(after[2]).toBe(before[2]);
  });
});

describe('a reply quotes its original as it is now', () => {
  const reply = (seq: number, to: Message, text = 'quoted as sent'): Message => ({
    ...message('general', seq),
    text: 'a reply',
    replyTo: { seq: to.seq, from: to.from, text },
  });

  it('an edit of the original reaches the quote of every reply held; other rows keep their objects', () => {
    const original = message('general', 2);
    let state = joinedWith([message('general', 1), original, reply(3, original, original.text)]);
    const before = state;
    const edited = { ...original, text: 'fixed typo', rev: 4, edited: 9 };
    state = apply(state, updateReceived(state, update(4, edited)));
    expect(held(state, 3)?.replyTo).toEqual({ seq: 2, from: original.from, text: 'fixed typo' });
    expect(held(state, 1)).toBe(held(before, 1));
  });

  it('a delete of the original leaves the reply quoting nothing ("" as the server sends)', () => {
    const original = message('general', 2);
    let state = joinedWith([original, reply(3, original, original.text)]);
    const tombstone: Message = { ...original, text: '', deleted: true, rev: 4 };
    state = apply(state, updateReceived(state, update(4, tombstone)));
    expect(held(state, 3)?.replyTo?.text).toBe('');
  });

  it('a live reply taken just before its original changed quotes the original as held', () => {
    const original = message('general', 2);
    let state = joinedWith([message('general', 1), original]);
    const edited = { ...original, text: 'edited first', rev: 3, edited: 9 };
    state = apply(state, updateReceived(state, update(3, edited)));
    const live = { type: 'message' as const, ...reply(4, original, original.text) };
    state = apply(state, messageReceived(state, live, alice.id));
    expect(held(state, 4)?.replyTo?.text).toBe('edited first');
  });

  it('an older page that brings the original requotes the replies held; a quote of an original not held stays', () => {
    const original = { ...message('general', 2), text: 'x'.repeat(150) };
    let held1 = mergeMessages(NO_MESSAGES, [reply(3, original, 'stale'), reply(4, message('general', 1))]);
    held1 = mergeMessages(held1, [original]);
    expect(held1[3]?.replyTo?.text).toBe('x'.repeat(100));
    expect(held1[4]?.replyTo?.text).toBe('quoted as sent');
  });
});
