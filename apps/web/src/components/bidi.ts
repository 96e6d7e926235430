/**
 * Bidirectional-text controls (Unicode `Bidi_Control`): marks, embeddings,
 * overrides and isolates. They change the order in which the characters
 * around them are drawn, so "\u202Eecila" draws as "alice" and a link's text
 * can be made to read backwards. Text that names something (a person, a link)
 * is drawn without them, and isolated from what surrounds it (`<bdi>`, or
 * `unicode-bidi: isolate` in the stylesheet), so neither can reorder the
 * other.
 */

// U+061C ARABIC LETTER MARK, U+200E/U+200F LRM/RLM, U+202A–U+202E
// embeddings and overrides, U+2066–U+2069 isolates.
const BIDI_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;

/** `text` without its bidi controls; `text` itself when it has none (the common case costs one test). */
export function withoutBidiControls(text: string): string {
  BIDI_CONTROLS.lastIndex = 0;
  return BIDI_CONTROLS.test(text) ? text.replace(BIDI_CONTROLS, '') : text;
}

/**
 * A name as it is drawn: without bidi controls. Names are refused with them
 * today (checkName), but a name taken before that rule, or a server that does
 * not check, can still carry them. An empty result keeps the original, so a
 * name of nothing but controls still shows as something.
 */
export function displayName(name: string): string {
  const shown = withoutBidiControls(name);
  return shown === '' ? '\uFFFD' : shown;
}

/**
 * A name for a sentence in plain text (a title, a "typing" line): without
 * bidi controls, between FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE, so
 * an Arabic or Hebrew name does not pull the words around it into its
 * direction.
 */
export function isolatedName(name: string): string {
  return `\u2068${displayName(name)}\u2069`;
}
