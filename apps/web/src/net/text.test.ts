import { checkName, isWellFormed } from '@tether/protocol';
import { describe, expect, it } from 'vitest';

import { checkText, codePointLength, isValidRoomName, loadNameRules, normaliseName } from './text';

describe('text rules', () => {
  it('counts code points, not UTF-16 units', () => {
    expect(codePointLength('😀a')).toBe(2);
    expect(codePointLength('\uD83D')).toBe(1);
  });

  it('judges texts as the server does', () => {
    expect(checkText('')).toBe('empty');
    expect(checkText(' \t\n\u00A0\u2028\u3000')).toBe('empty');
    expect(checkText('\uFEFF')).toBe('ok'); // not Unicode White_Space
    expect(checkText('x'.repeat(4000))).toBe('ok');
    expect(checkText('😀'.repeat(4000))).toBe('ok');
    expect(checkText('x'.repeat(4001))).toBe('too_long');
  });

  it('sends a name trimmed for the server to judge until the name rules are loaded', () => {
    expect(normaliseName('  al\u202Eice ')).toBe('al\u202Eice');
  });

  it('normalises names like the protocol package', async () => {
    await loadNameRules();
    const samples = [
      '\u202Eecila',
      'al\u200Bice',
      'аlice',
      '  alice ',
      '',
      '   ',
      'a'.repeat(32),
      'a'.repeat(33),
      'bad\u0007',
      'ünïcødé 名前',
      '\u3000x\u3000',
    ];
    for (const sample of samples) {
      const expected = checkName(sample);
      expect(normaliseName(sample)).toBe(expected.ok && isWellFormed(sample) ? expected.name : null);
    }
  });

  it('accepts room names of the protocol only', () => {
    expect(isValidRoomName('general')).toBe(true);
    expect(isValidRoomName('a_b-9')).toBe(true);
    expect(isValidRoomName('-x')).toBe(false);
    expect(isValidRoomName('General')).toBe(false);
    expect(isValidRoomName('x'.repeat(33))).toBe(false);
  });
});
