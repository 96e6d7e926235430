/**
 * Field rules of protocol v1 that have their own error codes. Shared by the
 * server (which enforces them) and clients (which check before sending).
 */
import { ERROR_CODES, LIMITS, RECONNECT } from './constants.js';

/** Room names: lowercase ASCII letters, digits, `_` and `-`, 1–32 long. */
export const ROOM_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/;

export const MESSAGE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Unicode White_Space, written out: JavaScript's `\s` differs from it (it
 * includes U+FEFF, which is not White_Space, and misses U+0085 NEL).
 */
const WHITE_SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000';
const ONLY_WHITE_SPACE = new RegExp(`^[${WHITE_SPACE}]*$`);
const TRIM = new RegExp(`^[${WHITE_SPACE}]+|[${WHITE_SPACE}]+$`, 'g');

/** A UTF-16 surrogate that is not part of a pair. */
const LONE_SURROGATE = /\p{Cs}/u;

/** Length in Unicode code points, as every length in the protocol is counted. */
export function codePointLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // A high surrogate followed by a low one is one code point.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** Trims Unicode White_Space from both ends. */
export function trimWhiteSpace(text: string): string {
  return text.replace(TRIM, '');
}

/** True when a string holds no unpaired surrogate (it can be stored as UTF-8). */
export function isWellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

export function isValidRoomName(room: string): boolean {
  return ROOM_NAME_PATTERN.test(room);
}

export function isValidMessageId(id: string): boolean {
  return MESSAGE_ID_PATTERN.test(id);
}

/**
 * Cherokee small letters. Unicode case folding (CaseFolding.txt) folds them
 * to the capitals, unlike every other script, because Cherokee was written
 * in capitals first; `toLowerCase` goes the other way.
 */
const CHEROKEE_SMALL = /[\u13F8-\u13FD\uAB70-\uABBF]/g;

/**
 * A name folded for width and compatibility forms (NFKC), case (as Unicode
 * case folding does it) and runs of spaces. It is the first step of
 * `nameKey` (names.ts), which then folds look-alike characters with
 * Unicode's confusables data; a client filtering a list as someone types
 * uses this one and ships without that data.
 */
export function foldName(name: string): string {
  return name
    .normalize('NFKC')
    .toLowerCase()
    .replace(CHEROKEE_SMALL, (small) => small.toUpperCase())
    .replace(/ {2,}/g, ' ');
}

export type TextCheck =
  | { ok: true }
  | { ok: false; code: typeof ERROR_CODES.EMPTY_TEXT | typeof ERROR_CODES.TEXT_TOO_LONG; message: string };

/** Checks a message text: 1–4000 code points and not only white space. */
export function checkText(text: string): TextCheck {
  if (ONLY_WHITE_SPACE.test(text)) {
    return { ok: false, code: ERROR_CODES.EMPTY_TEXT, message: 'text is empty or only white space' };
  }
  // Cheap bound first: a string never has fewer code points than half its UTF-16 length.
  if (text.length > LIMITS.MAX_TEXT_CHARS && codePointLength(text) > LIMITS.MAX_TEXT_CHARS) {
    return {
      ok: false,
      code: ERROR_CODES.TEXT_TOO_LONG,
      message: `text is longer than ${LIMITS.MAX_TEXT_CHARS} characters`,
    };
  }
  return { ok: true };
}

export type EmojiCheck =
  { ok: true } | { ok: false; code: typeof ERROR_CODES.INVALID_REACTION; message: string };

/** White space, a control character (Cc) or an unpaired surrogate: never part of an emoji. */
const NOT_IN_EMOJI = new RegExp(`[${WHITE_SPACE}\\p{Cc}\\p{Cs}]`, 'u');

/**
 * Checks a reaction's `emoji`: 1–16 code points, no white space, no control
 * character. The server does not decide what is an emoji (Unicode adds
 * some every year, and sequences of several code points are common); it
 * only keeps out what would render as nothing or break a line.
 */
export function checkEmoji(emoji: string): EmojiCheck {
  if (emoji.length === 0 || NOT_IN_EMOJI.test(emoji) || codePointLength(emoji) > LIMITS.MAX_EMOJI_CHARS) {
    return {
      ok: false,
      code: ERROR_CODES.INVALID_REACTION,
      message: `emoji is 1-${LIMITS.MAX_EMOJI_CHARS} code points with no white space or control character`,
    };
  }
  return { ok: true };
}

/** The first REPLY_SNIPPET_CHARS code points of a text, for `replyTo.text` (a pair is never cut in half). */
export function replySnippet(text: string): string {
  if (text.length <= LIMITS.REPLY_SNIPPET_CHARS) return text;
  let units = 0;
  for (let n = 0; n < LIMITS.REPLY_SNIPPET_CHARS && units < text.length; n++) {
    const c = text.charCodeAt(units);
    const pair = c >= 0xd800 && c <= 0xdbff && units + 1 < text.length;
    units += pair && (text.charCodeAt(units + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
  }
  return text.slice(0, units);
}

/** The reason of a 1001 close from a server that stops to be restarted. */
export interface RestartHint {
  restart: true;
  /** About how long until the new process is ready. */
  retryInMs: number;
  /** Spread the first attempt over this long after `retryInMs`. */
  spreadMs: number;
}

/** Largest wait a hint may ask for: a bigger number is a broken hint, not a plan. */
const MAX_HINT_MS = 60_000;

/**
 * The restart hint in a close reason, or null when the reason is anything
 * else (plain text, other JSON, numbers out of range): then the client backs
 * off as usual.
 */
export function parseRestartHint(reason: string): RestartHint | null {
  if (!reason.startsWith('{')) return null;
  let value: unknown;
  try {
    value = JSON.parse(reason);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { restart, retryInMs, spreadMs } = value as Record<string, unknown>;
  const ms = (n: unknown): n is number =>
    typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= MAX_HINT_MS;
  if (restart !== true || !ms(retryInMs) || !ms(spreadMs)) return null;
  return { restart: true, retryInMs, spreadMs };
}

/**
 * The wait before the `retry`-th attempt (0 for the first) that follows a
 * restart hint. The first lands in `[retryInMs, retryInMs + spreadMs]`: that
 * spreads thousands of clients over the spread. A refused attempt came before
 * the new process was ready: it tries again soon, RESTART_RETRY_STEP_MS ×
 * 2^(retry−1) ±50 % (at most the spread), rather than drawing a whole new
 * spread (with a 10 s spread, up to 10.5 s more for one that came early).
 */
export function restartRetryDelay(hint: RestartHint, retry: number, random: () => number): number {
  if (retry <= 0) return hint.retryInMs + random() * hint.spreadMs;
  const step = RECONNECT.RESTART_RETRY_STEP_MS;
  return Math.min(Math.max(hint.spreadMs, step), step * 2 ** (retry - 1)) * (0.5 + random());
}

/** The close reason a server sends with 1001 when it stops to be restarted. */
export function encodeRestartHint(hint: Omit<RestartHint, 'restart'>): string {
  return JSON.stringify({ restart: true, retryInMs: hint.retryInMs, spreadMs: hint.spreadMs });
}
