import { describe, expect, test } from 'vitest';

import { ERROR_CODES, LIMITS } from './constants.js';
import {
  checkText,
  codePointLength,
  isValidMessageId,
  isValidRoomName,
  isWellFormed,
  encodeRestartHint,
  parseRestartHint,
  restartRetryDelay,
  trimWhiteSpace,
} from './rules.js';

/** Every code point with the Unicode White_Space property (Unicode 15/16: 25 of them). */
const UNICODE_WHITE_SPACE = [
  ...[0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x85, 0xa0, 0x1680],
  ...Array.from({ length: 11 }, (_, i) => 0x2000 + i),
  ...[0x2028, 0x2029, 0x202f, 0x205f, 0x3000],
].map((cp) => String.fromCodePoint(cp));

const hex = (s: string) => `U+${(s.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;

describe('codePointLength', () => {
  test.each([
    ['', 0],
    ['abc', 3],
    ['😀', 1],
    ['a😀b', 3],
    ['e\u0301', 2],
    ['👩‍👩‍👧', 5],
    ['\u{10FFFF}', 1],
  ])('counts %j as %i code points', (text, expected) => {
    expect(codePointLength(text)).toBe(expected);
  });

  test('counts each lone surrogate as one code point', () => {
    expect(codePointLength('\uD800')).toBe(1);
    expect(codePointLength('\uDE00\uD83D')).toBe(2);
    expect(codePointLength('a\uD83D')).toBe(2);
  });
});

describe('isWellFormed', () => {
  test('accepts surrogate pairs and rejects lone or reversed surrogates', () => {
    expect(isWellFormed('😀 ok')).toBe(true);
    expect(isWellFormed('\uD800')).toBe(false);
    expect(isWellFormed('a\uDC00b')).toBe(false);
    expect(isWellFormed('\uDE00\uD83D')).toBe(false);
  });
});

describe('trimWhiteSpace', () => {
  test.each(UNICODE_WHITE_SPACE.map((ws) => [hex(ws), ws]))('trims %s from both ends', (_, ws) => {
    expect(trimWhiteSpace(`${ws}${ws}a b${ws}`)).toBe('a b');
  });

  test('does not trim U+FEFF or U+200B, which are not White_Space', () => {
    expect(trimWhiteSpace('\uFEFFa\u200B')).toBe('\uFEFFa\u200B');
  });

  test('keeps white space inside the string', () => {
    expect(trimWhiteSpace(' a \u3000 b ')).toBe('a \u3000 b');
  });
});

describe('checkText', () => {
  test('accepts ordinary text, surrounding white space included, unchanged', () => {
    expect(checkText('  hi  ')).toEqual({ ok: true });
  });

  test.each([
    ['the empty string', ''],
    ['a space', ' '],
    ['U+3000 ideographic space', '\u3000'],
    ['U+0085 next line', '\u0085'],
    ['line and paragraph separators', '\u2028\u2029'],
    ['every White_Space code point', UNICODE_WHITE_SPACE.join('')],
  ])('refuses %s as empty_text', (_, text) => {
    expect(checkText(text)).toEqual({
      ok: false,
      code: ERROR_CODES.EMPTY_TEXT,
      message: 'text is empty or only white space',
    });
  });

  test.each([
    ['U+FEFF', '\uFEFF'],
    ['U+200B zero width space', '\u200B'],
    ['U+180E Mongolian vowel separator', '\u180E'],
  ])('accepts %s alone: it is not White_Space', (_, text) => {
    expect(checkText(text)).toEqual({ ok: true });
  });

  test('accepts 4000 code points and refuses 4001', () => {
    expect(checkText('a'.repeat(LIMITS.MAX_TEXT_CHARS))).toEqual({ ok: true });
    expect(checkText('a'.repeat(LIMITS.MAX_TEXT_CHARS + 1))).toEqual({
      ok: false,
      code: ERROR_CODES.TEXT_TOO_LONG,
      message: 'text is longer than 4000 characters',
    });
  });

  test('counts astral characters as one: 4000 emoji (8000 UTF-16 units) pass, 4001 do not', () => {
    expect(checkText('😀'.repeat(4000))).toEqual({ ok: true });
    expect(checkText('😀'.repeat(4001))).toMatchObject({ ok: false, code: ERROR_CODES.TEXT_TOO_LONG });
  });

  test('accepts 3999 letters and one emoji: 4001 UTF-16 units but 4000 code points', () => {
    const text = 'a'.repeat(3999) + '😀';
    expect(text).toHaveLength(4001);
    expect(checkText(text)).toEqual({ ok: true });
  });
});

describe('isValidRoomName', () => {
  test.each(['general', 'a', '0', 'a-b_c', 'room-42', 'a'.repeat(32)])('accepts %j', (room) => {
    expect(isValidRoomName(room)).toBe(true);
  });

  test.each([
    '',
    'a'.repeat(33),
    'General',
    '-general',
    '_general',
    'a b',
    'a.b',
    'café',
    'general\n',
    '\ngeneral',
  ])('refuses %j', (room) => {
    expect(isValidRoomName(room)).toBe(false);
  });
});

describe('isValidMessageId', () => {
  test.each(['c_8f', 'A', '0', '-', '_', 'a'.repeat(64)])('accepts %j', (id) => {
    expect(isValidMessageId(id)).toBe(true);
  });

  test.each(['', 'a'.repeat(65), 'a b', 'a.b', 'é', 'abc\n'])('refuses %j', (id) => {
    expect(isValidMessageId(id)).toBe(false);
  });
});

describe('restart hint', () => {
  test('reads what the server writes', () => {
    const reason = encodeRestartHint({ retryInMs: 500, spreadMs: 1000 });
    expect(reason).toBe('{"restart":true,"retryInMs":500,"spreadMs":1000}');
    expect(Buffer.byteLength(reason)).toBeLessThanOrEqual(123); // a close reason's limit
    expect(parseRestartHint(reason)).toEqual({ restart: true, retryInMs: 500, spreadMs: 1000 });
  });

  test.each([
    ['plain text', 'server is restarting'],
    ['empty', ''],
    ['not an object', '[1]'],
    ['restart false', '{"restart":false,"retryInMs":500,"spreadMs":1000}'],
    ['restart as a string', '{"restart":"true","retryInMs":500,"spreadMs":1000}'],
    ['a missing number', '{"restart":true,"retryInMs":500}'],
    ['a negative number', '{"restart":true,"retryInMs":-1,"spreadMs":1000}'],
    ['a fraction', '{"restart":true,"retryInMs":0.5,"spreadMs":1000}'],
    ['a wait beyond a minute', '{"restart":true,"retryInMs":600000,"spreadMs":1000}'],
    ['broken JSON', '{"restart":true,'],
  ])('refuses %s: the client backs off as usual', (_, reason) => {
    expect(parseRestartHint(reason)).toBeNull();
  });
});

describe('waits after a restart hint', () => {
  const hint = { restart: true, retryInMs: 500, spreadMs: 1000 } as const;

  test('spread the first attempt over [retryInMs, retryInMs + spreadMs]', () => {
    expect(restartRetryDelay(hint, 0, () => 0)).toBe(500);
    expect(restartRetryDelay(hint, 0, () => 0.999)).toBeCloseTo(1499, 0);
  });

  test('try again soon after a refusal, doubling, never longer than the spread', () => {
    // 250 ms ±50 %, then 500, then capped at the spread (1 s) ±50 %.
    expect([0, 0.5, 0.999].map((r) => restartRetryDelay(hint, 1, () => r))).toEqual([
      125,
      250,
      expect.closeTo(375, 0),
    ]);
    expect(restartRetryDelay(hint, 2, () => 0.5)).toBe(500);
    expect(restartRetryDelay(hint, 3, () => 0.5)).toBe(1000);
    expect(restartRetryDelay(hint, 9, () => 0.5)).toBe(1000);
    // A 10 s spread: a refusal does not cost another 0.5–10.5 s.
    expect(restartRetryDelay({ ...hint, spreadMs: 10_000 }, 1, () => 0.999)).toBeLessThan(400);
    // A hint without spread still waits a step.
    expect(restartRetryDelay({ ...hint, spreadMs: 0 }, 1, () => 0.5)).toBe(250);
  });
});
