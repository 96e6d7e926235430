/**
 * docs/protocol.md › Names: what a name may hold, and which names are the
 * same name.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';

import { ERROR_CODES, LIMITS } from './constants.js';
import { checkName, nameKey, skeleton } from './names.js';

/** Every code point with the Unicode White_Space property (Unicode 15/16: 25 of them). */
const UNICODE_WHITE_SPACE = [
  ...[0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x85, 0xa0, 0x1680],
  ...Array.from({ length: 11 }, (_, i) => 0x2000 + i),
  ...[0x2028, 0x2029, 0x202f, 0x205f, 0x3000],
].map((cp) => String.fromCodePoint(cp));

describe('checkName', () => {
  test('accepts a plain name and keys it by its lowercase form', () => {
    expect(checkName('Alice')).toEqual({ ok: true, name: 'Alice', key: 'alice' });
  });

  test('trims Unicode White_Space (U+3000, U+0085, U+00A0) and shows the trimmed name', () => {
    expect(checkName('\u3000 alice\u0085\u00A0')).toEqual({ ok: true, name: 'alice', key: 'alice' });
  });

  test('does not trim U+FEFF (JavaScript trim() would): it is refused as hidden instead', () => {
    const result = checkName('\uFEFFalice');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toContain('U+FEFF');
  });

  test.each(['', ' ', '\t\n', '\u3000', '\u0085', UNICODE_WHITE_SPACE.join('')])(
    'refuses %j as empty',
    (raw) => {
      expect(checkName(raw)).toEqual({ ok: false, code: ERROR_CODES.INVALID_NAME, message: 'name is empty' });
    },
  );

  test('accepts 32 code points and refuses 33', () => {
    expect(checkName('a'.repeat(LIMITS.MAX_NAME_CHARS)).ok).toBe(true);
    expect(checkName('a'.repeat(LIMITS.MAX_NAME_CHARS + 1))).toMatchObject({
      ok: false,
      code: ERROR_CODES.INVALID_NAME,
      message: 'name is longer than 32 characters',
    });
  });

  test('counts emoji as one code point each, not two UTF-16 units', () => {
    const emoji32 = '😀'.repeat(32);
    expect(emoji32).toHaveLength(64);
    expect(checkName(emoji32).ok).toBe(true);
    expect(checkName(emoji32 + '😀').ok).toBe(false);
  });

  test('counts the length after trimming', () => {
    expect(checkName(`   ${'a'.repeat(32)}\u3000\u3000`)).toMatchObject({ ok: true, name: 'a'.repeat(32) });
  });

  test.each([
    ['NUL', 'a\u0000b'],
    ['a tab inside', 'a\tb'],
    ['a newline inside', 'a\nb'],
    ['U+001F', 'a\u001Fb'],
    ['DEL', 'a\u007Fb'],
    ['C1 U+0080', 'a\u0080b'],
    ['NEL U+0085 inside', 'a\u0085b'],
    ['C1 U+009F', 'a\u009Fb'],
  ])('refuses a control character: %s', (_, raw) => {
    expect(checkName(raw)).toEqual({
      ok: false,
      code: ERROR_CODES.INVALID_NAME,
      message: 'name contains a control character',
    });
  });

  test('accepts non-control characters next to the control ranges (U+00A0 inside, U+00A1)', () => {
    expect(checkName('a\u00A0b').ok).toBe(true);
    expect(checkName('¡hola').ok).toBe(true);
  });

  test('gives full-width ＡＬＩＣＥ and alice the same key but keeps how each is shown', () => {
    const wide = checkName('ＡＬＩＣＥ');
    const plain = checkName('alice');
    expect(wide).toEqual({ ok: true, name: 'ＡＬＩＣＥ', key: 'alice' });
    expect(plain).toEqual({ ok: true, name: 'alice', key: 'alice' });
  });

  test.each([
    ['ligature ﬁ', 'ﬁona', 'fiona'],
    ['composed vs decomposed é', 'e\u0301mile', '\u00E9mile'],
    ['circled letters', 'ⓑⓞⓑ', 'bob'],
    ['upper-case Greek', 'ΣΩ', 'σω'],
  ])('normalises %s into one key', (_, raw, plain) => {
    expect(checkName(raw)).toMatchObject({ ok: true, key: nameKey(plain) });
  });
});

/**
 * What the attack found (issue 12): 15 exact visual duplicates of a live
 * "alice…", and names that look blank. Each of these characters, inside or
 * at either end of a name, is refused and named in the error.
 */
const HIDDEN: [string, string][] = [
  ['U+200B zero width space', '\u200B'],
  ['U+200C zero width non-joiner', '\u200C'],
  ['U+200D zero width joiner', '\u200D'],
  ['U+2060 word joiner', '\u2060'],
  ['U+FEFF zero width no-break space', '\uFEFF'],
  ['U+00AD soft hyphen', '\u00AD'],
  ['U+034F combining grapheme joiner', '\u034F'],
  ['U+FE0F variation selector 16', '\uFE0F'],
  ['U+FE00 variation selector 1', '\uFE00'],
  ['U+E0100 variation selector 17', '\u{E0100}'],
  ['U+E0041 tag latin capital A', '\u{E0041}'],
  ['U+E007F cancel tag', '\u{E007F}'],
  ['U+200E left-to-right mark', '\u200E'],
  ['U+200F right-to-left mark', '\u200F'],
  ['U+202E right-to-left override', '\u202E'],
  ['U+202A left-to-right embedding', '\u202A'],
  ['U+2066 left-to-right isolate', '\u2066'],
  ['U+2069 pop directional isolate', '\u2069'],
  ['U+061C Arabic letter mark', '\u061C'],
  ['U+180E Mongolian vowel separator', '\u180E'],
  ['U+3164 Hangul filler', '\u3164'],
  ['U+115F Hangul choseong filler', '\u115F'],
  ['U+1160 Hangul jungseong filler', '\u1160'],
  ['U+FFA0 half-width Hangul filler', '\uFFA0'],
  ['U+2800 Braille pattern blank', '\u2800'],
  ['U+2028 line separator (inside)', '\u2028'],
  ['U+2029 paragraph separator (inside)', '\u2029'],
  ['U+E000 private use', '\uE000'],
  ['U+F8FF private use (a logo in some fonts)', '\uF8FF'],
  ['U+0378 unassigned', '\u0378'],
  ['U+2061 function application', '\u2061'],
  ['U+1D173 musical symbol begin beam', '\u{1D173}'],
];

describe('hidden characters', () => {
  test.each(HIDDEN)('refuses %s inside a name, naming it', (_label, char) => {
    const result = checkName(`ali${char}ce`);
    const code = `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
    expect(result).toEqual({
      ok: false,
      code: ERROR_CODES.INVALID_NAME,
      message: `name contains an invisible or formatting character (${code}); names hold only characters that can be seen`,
    });
  });

  test.each(HIDDEN.filter(([label]) => !label.includes('(inside)')))(
    'refuses %s at either end, and alone',
    (_label, char) => {
      expect(checkName(`${char}alice`).ok).toBe(false);
      expect(checkName(`alice${char}`).ok).toBe(false);
      expect(checkName(char).ok).toBe(false);
    },
  );

  test('refuses a name that starts with a combining mark, and keeps marks after a letter', () => {
    expect(checkName('\u0301alice')).toEqual({
      ok: false,
      code: ERROR_CODES.INVALID_NAME,
      message: 'name starts with a combining mark',
    });
    expect(checkName('e\u0301mile').ok).toBe(true);
  });

  test.each([
    ['Chinese', '张伟'],
    ['Japanese', 'さくら'],
    ['Arabic', 'ليلى'],
    ['Hebrew', 'נועה'],
    ['Hindi with combining vowel signs', 'अनन्या'],
    ['Korean', '서연'],
    ['Thai', 'สมชาย'],
    ['an emoji without a variation selector', '🦊 fox'],
    ['punctuation', "o'brien-smith"],
    ['accents', 'Zoë Ångström'],
  ])('accepts %s', (_label, name) => {
    expect(checkName(name)).toMatchObject({ ok: true, name });
  });
});

describe('confusable names', () => {
  /** Each pair looks alike; the second is the name someone registered first. */
  test.each([
    ['Cyrillic а', '\u0430lice', 'alice'],
    ['Cyrillic е and о', 'j\u043E\u0435', 'joe'],
    ['Cyrillic ѕ and і', '\u0455\u0456d', 'sid'],
    ['Greek ο', 'b\u03BFb', 'bob'],
    ['Greek Α (capital alpha)', '\u0391lice', 'alice'],
    ['Cherokee Ꭺ', '\u13AAlice', 'alice'],
    ['Cherokee small ꭺ (folds to Ꭺ, as Unicode case folding does)', '\uAB7Alice', 'alice'],
    ['Latin alpha ɑ', '\u0251lice', 'alice'],
    ['digit 0 for o', 'b0b', 'bob'],
    ['digit 1 for l', 'a1ice', 'alice'],
    ['dotless ı', 'alıce', 'alice'],
    ['mathematical bold', '\u{1D41A}\u{1D425}\u{1D422}\u{1D41C}\u{1D41E}', 'alice'],
    ['full width', 'ａｌｉｃｅ', 'alice'],
    ['upper case', 'ALICE', 'alice'],
    ['two spaces for one', 'alice  smith', 'alice smith'],
    ['no-break space for space', 'alice\u00A0smith', 'alice smith'],
    ['ideographic space for space', 'alice\u3000smith', 'alice smith'],
  ])('gives %s the key of its look-alike', (_label, lookalike, original) => {
    const a = checkName(lookalike);
    const b = checkName(original);
    expect(a.ok && b.ok).toBe(true);
    if (a.ok && b.ok) expect(a.key).toBe(b.key);
  });

  test.each([
    ['alice', 'alicia'],
    ['ß and ss', 'straße'],
    ['anna', 'hanna'],
    ['张伟', '张卫'],
  ])('keeps names that do not look alike apart: %s / %s', (a, b) => {
    expect(nameKey(a)).not.toBe(nameKey(b === 'straße' ? 'strasse' : b));
  });

  test('keeps how a name is shown: only the key folds', () => {
    expect(checkName('\u0430lice')).toMatchObject({ ok: true, name: '\u0430lice' });
  });

  test('the skeleton maps single look-alikes to their prototype, as UTS #39 describes', () => {
    expect(skeleton('\u0430')).toBe('a');
    expect(skeleton('0')).toBe('O');
    expect(skeleton('I')).toBe('l');
    expect(skeleton('plain')).toBe('plain');
  });

  test('every normalisation form of a text has the same key', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 32 }), (raw) => {
        const key = nameKey(raw);
        for (const form of ['NFC', 'NFD', 'NFKC', 'NFKD'] as const)
          expect(nameKey(raw.normalize(form))).toBe(key);
      }),
      { numRuns: 2000 },
    );
  });
});
