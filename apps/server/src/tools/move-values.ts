/**
 * How a value stored by SQLite is stored by PostgreSQL, where the two differ.
 * PostgreSQL `text` cannot hold U+0000; SQLite can, and Tether puts it in two
 * places:
 *
 * - a message's text, which may hold any character: stored the way the
 *   PostgreSQL store stores it (its JSON literal, `text_json` set; see
 *   postgres/append.ts), so the servers read it back exactly;
 * - the name key of a user whose name became a look-alike of an older user's
 *   when keys were recomputed (SQLite migration 3): `key U+0000 id`, a key
 *   that no name can produce, so nobody can take it. PostgreSQL gets U+FFFF
 *   in place of that U+0000: a noncharacter, which no name may hold either
 *   (names refuse unassigned code points), so the key stays one nobody can
 *   take, and stays unique.
 *
 * Anything else holding U+0000 (a name from before the name rules) cannot be
 * stored: the move refuses, naming it, before anything is committed.
 */
import { storedText } from '../postgres/append.js';

export { storedText };

const NUL = '\u0000';

/** The name key as PostgreSQL stores it. */
export function targetNameKey(key: string): string {
  return key.replaceAll(NUL, '\uffff');
}

/** Whether a message text goes in as its JSON literal. */
export function isJsonText(text: string): boolean {
  return text.includes(NUL);
}

/** Throws, naming the value, when `value` cannot be stored in a PostgreSQL text column. */
export function storable(value: string, what: () => string): string {
  if (value.includes(NUL)) {
    throw new Error(`${what()} holds U+0000, which PostgreSQL text cannot store; nothing was written`);
  }
  return value;
}
