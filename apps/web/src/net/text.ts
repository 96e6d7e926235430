/**
 * The protocol's field rules the client checks before sending, so the person
 * gets an answer at once instead of an error frame. They come from
 * '@tether/protocol/rules', which (like '/constants') has no dependency on the
 * schema library, so the bundle stays small and the rules stay one copy.
 *
 * The name rules are the exception: `checkName` lives in
 * '@tether/protocol/names' with Unicode's confusables data (about 30 KB
 * compressed), which a returning user never needs. It is a chunk of its own,
 * loaded when a name is about to be chosen (`loadNameRules`); until it is
 * here, a name goes out trimmed and the server judges it, as it always does.
 */
import type { NameCheck } from '@tether/protocol/names';
import {
  checkText as checkTextRule,
  codePointLength,
  isValidRoomName,
  trimWhiteSpace,
} from '@tether/protocol/rules';

export { codePointLength, isValidRoomName };

export type TextCheck = 'ok' | 'empty' | 'too_long';

/** A message text as the server will judge it; the text itself is sent unchanged. */
export function checkText(text: string): TextCheck {
  const result = checkTextRule(text);
  if (result.ok) return 'ok';
  return result.code === 'empty_text' ? 'empty' : 'too_long';
}

let checkName: ((raw: string) => NameCheck) | null = null;
let loading: Promise<void> | null = null;

/** Fetches the name rules once (a failed fetch is tried again on the next call). */
export function loadNameRules(): Promise<void> {
  loading ??= import('@tether/protocol/names').then(
    (rules) => {
      checkName = rules.checkName;
    },
    () => {
      loading = null;
    },
  );
  return loading;
}

/**
 * The trimmed name, or null when the server would answer `invalid_name`.
 * Before the rules are loaded: the trimmed name, for the server to judge.
 */
export function normaliseName(raw: string): string | null {
  if (checkName === null) return trimWhiteSpace(raw);
  const result = checkName(raw);
  return result.ok ? result.name : null;
}
