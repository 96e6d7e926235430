/**
 * The protocol's field rules the client checks before sending, so the person
 * gets an answer at once instead of an error frame. They repeat a few lines of
 * packages/protocol/src/rules.ts on purpose: the browser imports values only
 * from '@tether/protocol/constants', and the package index would bring the
 * schema library into the bundle.
 */
import { LIMITS } from '@tether/protocol/constants';

/** Unicode White_Space, written out: JavaScript's `\s` differs from it (U+FEFF, U+0085). */
const WHITE_SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000';
const ONLY_WHITE_SPACE = new RegExp(`^[${WHITE_SPACE}]*$`);
const TRIM = new RegExp(`^[${WHITE_SPACE}]+|[${WHITE_SPACE}]+$`, 'g');
// eslint-disable-next-line no-control-regex -- names must not contain control characters
const CONTROL = /[\u0000-\u001F\u007F-\u009F]/;

export const ROOM_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/** Length in Unicode code points, as every length in the protocol is counted. */
export function codePointLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

export type TextCheck = 'ok' | 'empty' | 'too_long';

/** A message text as the server will judge it; the text itself is sent unchanged. */
export function checkText(text: string): TextCheck {
  if (ONLY_WHITE_SPACE.test(text)) return 'empty';
  return codePointLength(text) > LIMITS.MAX_TEXT_CHARS ? 'too_long' : 'ok';
}

/** The trimmed name, or null when the server would answer `invalid_name`. */
export function normaliseName(raw: string): string | null {
  const name = raw.replace(TRIM, '');
  const length = codePointLength(name);
  if (length === 0 || length > LIMITS.MAX_NAME_CHARS || CONTROL.test(name)) return null;
  return name;
}

export function isValidRoomName(room: string): boolean {
  return ROOM_NAME_PATTERN.test(room);
}
