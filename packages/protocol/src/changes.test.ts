/**
 * The frames of changing messages (edit, delete, react, send.replyTo,
 * update, the extended Message) and their field rules.
 */
import { describe, expect, test } from 'vitest';

import { ERROR_CODES, LIMITS } from './constants.js';
import { parseClientMessage, parseServerMessage } from './parse.js';
import { checkEmoji, replySnippet } from './rules.js';
import type { ClientMessage, Message, ServerMessage } from './types.js';

const json = (value: unknown) => JSON.stringify(value);

function refused(raw: string) {
  const result = parseClientMessage(raw);
  if (result.ok) throw new Error(`expected ${raw} to be refused`);
  return result.error;
}

const alice = { id: 'u_1', name: 'alice' };
const plain: Message = { room: 'general', seq: 119, ts: 1, id: 'c_1', from: alice, text: 'hi', rev: 119 };
const full: Message = {
  ...plain,
  rev: 131,
  edited: 2,
  replyTo: { seq: 112, from: { id: 'u_2', name: 'bob' }, text: 'first' },
  reactions: [{ emoji: '👍', count: 2, users: ['u_1', 'u_2'] }],
};
const tombstone: Message = { ...plain, text: '', rev: 140, deleted: true };

describe('change requests', () => {
  test.each<[string, ClientMessage]>([
    ['send with replyTo', { type: 'send', room: 'general', id: 'c_1', text: 'yes', replyTo: 112 }],
    ['edit', { type: 'edit', room: 'general', id: 'c_2', target: 119, text: 'hi there' }],
    ['delete', { type: 'delete', room: 'general', id: 'c_3', target: 119 }],
    ['react on', { type: 'react', room: 'general', id: 'c_4', target: 119, emoji: '👍', on: true }],
    ['react off', { type: 'react', room: 'general', id: 'c_5', target: 1, emoji: '👍🏽', on: false }],
  ])('accepts %s', (_, message) => {
    expect(parseClientMessage(json(message))).toEqual({ ok: true, message });
  });

  test.each([
    ['replyTo 0', { type: 'send', room: 'g', id: 'c', text: 'x', replyTo: 0 }, 'replyTo: '],
    ['replyTo a string', { type: 'send', room: 'g', id: 'c', text: 'x', replyTo: '1' }, 'replyTo: '],
    ['replyTo fractional', { type: 'send', room: 'g', id: 'c', text: 'x', replyTo: 1.5 }, 'replyTo: '],
    ['edit without target', { type: 'edit', room: 'g', id: 'c', text: 'x' }, 'target: '],
    ['edit without text', { type: 'edit', room: 'g', id: 'c', target: 1 }, 'text: '],
    ['edit with target 0', { type: 'edit', room: 'g', id: 'c', target: 0, text: 'x' }, 'target: '],
    ['edit with target 2^53', { type: 'edit', room: 'g', id: 'c', target: 2 ** 53, text: 'x' }, 'target: '],
    ['delete without id', { type: 'delete', room: 'g', target: 1 }, 'id: '],
    ['delete with an id of 65', { type: 'delete', room: 'g', id: 'a'.repeat(65), target: 1 }, 'id: '],
    ['delete with target null', { type: 'delete', room: 'g', id: 'c', target: null }, 'target: '],
    ['react without on', { type: 'react', room: 'g', id: 'c', target: 1, emoji: 'x' }, 'on: '],
    ['react with on 1', { type: 'react', room: 'g', id: 'c', target: 1, emoji: 'x', on: 1 }, 'on: '],
    ['react with emoji 1', { type: 'react', room: 'g', id: 'c', target: 1, emoji: 1, on: true }, 'emoji: '],
    ['react without room', { type: 'react', id: 'c', target: 1, emoji: 'x', on: true }, 'room: '],
  ])('refuses %s as bad_request naming the field', (_, frame, prefix) => {
    const error = refused(json(frame));
    expect(error.code).toBe(ERROR_CODES.BAD_REQUEST);
    expect(error.message.startsWith(prefix)).toBe(true);
  });

  test('echoes a valid id and the room of a refused change, as for send', () => {
    for (const type of ['edit', 'delete', 'react']) {
      expect(refused(json({ type, room: 'general', id: 'c_9' }))).toMatchObject({
        id: 'c_9',
        room: 'general',
      });
      expect(refused(json({ type, room: 'general', id: 'c 9' })).id).toBeUndefined();
    }
  });
});

describe('server frames of changes', () => {
  test.each<[string, ServerMessage]>([
    ['message with rev', { type: 'message', ...plain }],
    ['message with every new field', { type: 'message', ...full }],
    ['message from an older server (no rev)', { type: 'message', ...plain, rev: undefined }],
    ['a tombstone', { type: 'message', ...tombstone }],
    ['update', { type: 'update', room: 'general', seq: 131, message: full }],
    ['update of a tombstone', { type: 'update', room: 'general', seq: 140, message: tombstone }],
    [
      'welcome with features',
      {
        type: 'welcome',
        v: 1,
        user: alice,
        token: 't',
        heartbeat: { intervalMs: 1, timeoutMs: 1 },
        features: ['changes'],
      },
    ],
  ])('accepts %s', (_, message) => {
    const parsed = parseServerMessage(json(message));
    expect(parsed.ok).toBe(true);
  });

  test.each([
    ['deleted false', { type: 'message', ...plain, deleted: false }, 'deleted: '],
    ['rev 0', { type: 'message', ...plain, rev: 0 }, 'rev: '],
    [
      'a reaction without count',
      { type: 'message', ...plain, reactions: [{ emoji: 'x', users: [] }] },
      'reactions.0.count: ',
    ],
    ['replyTo without from', { type: 'message', ...plain, replyTo: { seq: 1, text: '' } }, 'replyTo.from: '],
    ['update without message', { type: 'update', room: 'g', seq: 1 }, 'message: '],
    ['update with seq 0', { type: 'update', room: 'g', seq: 0, message: plain }, 'seq: '],
  ])('refuses %s', (_, frame, prefix) => {
    const result = parseServerMessage(json(frame));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message.startsWith(prefix)).toBe(true);
  });

  test('accepts each new error code', () => {
    for (const code of ['not_found', 'forbidden', 'invalid_reaction', 'too_many_reactions']) {
      expect(parseServerMessage(json({ type: 'error', code, message: '' })).ok).toBe(true);
    }
  });
});

describe('checkEmoji', () => {
  test.each(['👍', '👍🏽', '👨‍👩‍👧', '🇫🇷', 'a', '+1', '❤️', 'x'.repeat(LIMITS.MAX_EMOJI_CHARS)])(
    'accepts %s',
    (emoji) => {
      expect(checkEmoji(emoji)).toEqual({ ok: true });
    },
  );

  test.each([
    ['empty', ''],
    ['17 code points', 'x'.repeat(LIMITS.MAX_EMOJI_CHARS + 1)],
    ['17 astral code points', '😀'.repeat(LIMITS.MAX_EMOJI_CHARS + 1)],
    ['a space', '👍 '],
    ['NEL (U+0085)', '\u0085'],
    ['NBSP', '\u00a0'],
    ['a line feed', '👍\n'],
    ['NUL', '\u0000'],
    ['DEL', '\u007f'],
    ['a C1 control', '\u0090'],
    ['a lone surrogate', '\ud83d'],
  ])('refuses %s as invalid_reaction', (_, emoji) => {
    expect(checkEmoji(emoji)).toMatchObject({ ok: false, code: ERROR_CODES.INVALID_REACTION });
  });

  test('counts code points, not UTF-16 units: 16 astral ones are fine', () => {
    expect(checkEmoji('😀'.repeat(16)).ok).toBe(true);
  });
});

describe('replySnippet', () => {
  test('keeps a short text whole', () => {
    expect(replySnippet('hello')).toBe('hello');
    expect(replySnippet('')).toBe('');
  });

  test('keeps the first 100 code points', () => {
    expect(replySnippet('a'.repeat(150))).toBe('a'.repeat(100));
    expect(replySnippet('😀'.repeat(150))).toBe('😀'.repeat(100));
  });

  test('never cuts a surrogate pair in half', () => {
    const text = `${'a'.repeat(99)}😀tail`;
    expect(replySnippet(text)).toBe(`${'a'.repeat(99)}😀`);
  });
});
