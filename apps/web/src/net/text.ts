/**
 * The protocol's field rules the client checks before sending, so the person
 * gets an answer at once instead of an error frame. They come from
 * '@tether/protocol/rules', which (like '/constants') has no dependency on the
 * schema library, so the bundle stays small and the rules stay one copy.
 */
import {
  checkName,
  checkText as checkTextRule,
  codePointLength,
  isValidRoomName,
} from '@tether/protocol/rules';

export { codePointLength, isValidRoomName };

export type TextCheck = 'ok' | 'empty' | 'too_long';

/** A message text as the server will judge it; the text itself is sent unchanged. */
export function checkText(text: string): TextCheck {
  const result = checkTextRule(text);
  if (result.ok) return 'ok';
  return result.code === 'empty_text' ? 'empty' : 'too_long';
}

/** The trimmed name, or null when the server would answer `invalid_name`. */
export function normaliseName(raw: string): string | null {
  const result = checkName(raw);
  return result.ok ? result.name : null;
}
