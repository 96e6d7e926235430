import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { linkify, trimmedLength } from './linkify';
import type { TextPart } from './linkify';

/** What the message said, put back together from the parts. */
function source(parts: TextPart[]): string {
  return parts.map((part) => (part.kind === 'link' ? part.raw : part.text)).join('');
}

function links(text: string): { text: string; href: string }[] {
  return linkify(text).flatMap((part) =>
    part.kind === 'link' ? [{ text: part.text, href: part.href }] : [],
  );
}

const N = 4000;
function fill(prefix: string, unit: string, suffix = ''): string {
  let text = prefix;
  while (text.length + unit.length + suffix.length <= N) text += unit;
  return text + suffix;
}

/** Messages built to make a linkifier slow, each 4,000 characters (the longest a message may be). */
const WORST_CASES: Record<string, string> = {
  'a URL and 3,987 ")"': fill('https://a.io/', ')'),
  'a URL and nested "((…))"': `https://a.io/${'('.repeat(1993)}${')'.repeat(1994)}`,
  'a URL and 3,987 trailing dots': fill('https://a.io/', '.'),
  'dots inside a host, 3,990': `https://a${'.'.repeat(3990)}b`,
  'punctuation runs inside': fill('https://a.io/', '.,;:!?', 'x'),
  'one URL of 4,000 characters': fill('https://', 'a'),
  'short URLs, 363 of them': fill('', 'http://a.io '),
  '"http://" repeated': fill('', 'http://'),
  'mixed closers ")]}"': fill('https://a.io/', ')]}'),
  'dots and closers ".)"': fill('https://a.io/', '.)'),
  '"ahttp://" (no link starts)': fill('', 'ahttp://'),
  'URLs that fail to parse "http://[ "': fill('', 'http://[ '),
  'look-alike hosts "http://аpple.com "': fill('', 'http://аpple.com '),
  'bidi overrides and closers': fill('https://аpple.com/', '\u202E)'),
};

describe('linkify', () => {
  it('links http(s) URLs and leaves sentence punctuation and unmatched closers out', () => {
    expect(links('see https://example.com/a?b=1, or http://x.org.')).toEqual([
      { text: 'https://example.com/a?b=1', href: 'https://example.com/a?b=1' },
      { text: 'http://x.org', href: 'http://x.org/' },
    ]);
    expect(links('(https://en.wikipedia.org/wiki/Tether_(disambiguation))')).toEqual([
      {
        text: 'https://en.wikipedia.org/wiki/Tether_(disambiguation)',
        href: 'https://en.wikipedia.org/wiki/Tether_(disambiguation)',
      },
    ]);
    expect(links('javascript:alert(1) data:text/html,x ftp://x.org xhttp://a.io /https://a.io')).toEqual([]);
  });

  it('trims from the end only what is not the URL, as the old repeated trim did', () => {
    expect(trimmedLength('https://a.io/x).')).toBe('https://a.io/x'.length);
    expect(trimmedLength('https://a.io/(x)).')).toBe('https://a.io/(x)'.length);
    expect(trimmedLength('https://a.io/x]).!')).toBe('https://a.io/x'.length);
    expect(trimmedLength('https://a.io/[x]')).toBe('https://a.io/[x]'.length);
    expect(trimmedLength(`https://a.io/${')'.repeat(5000)}`)).toBe('https://a.io/'.length);
  });

  it('shows a host the URL parser writes otherwise as the parser writes it (punycode)', () => {
    expect(links('https://аpple.com/login')).toEqual([
      { text: 'https://xn--pple-43d.com/login', href: 'https://xn--pple-43d.com/login' },
    ]);
    // Full-width letters are the same host in ASCII; upper case stays as written.
    expect(links('http://ｅxample.com')[0]?.text).toBe('http://example.com');
    expect(links('HTTPS://EXAMPLE.COM/A')[0]?.text).toBe('HTTPS://EXAMPLE.COM/A');
    // What looks like the host before "@" is not the host; it is shown as written.
    expect(links('http://apple.com@аpple.com/')[0]?.text).toBe('http://apple.com@xn--pple-43d.com/');
  });

  it('leaves bidi controls out of link text, so it reads in the order it goes', () => {
    const [link] = links('https://a.io/\u202Efdp.exe');
    expect(link?.text).toBe('https://a.io/fdp.exe');
    expect(link?.href).toBe('https://a.io/%E2%80%AEfdp.exe');
    for (const control of [
      '\u061C',
      '\u200E',
      '\u200F',
      '\u202A',
      '\u202B',
      '\u202C',
      '\u202D',
      '\u2066',
      '\u2069',
    ]) {
      expect(links(`https://a.io/x${control}y`)[0]?.text).toBe('https://a.io/xy');
    }
  });

  it('gives back the whole text, and only well-formed http(s) links (property)', () => {
    const alphabet = [
      ...Array.from('ab.:/?#()[]{}<>@%-_~!,;\'" \n\u202E\u2066аｅ😀'),
      'http://',
      'https://',
      'HTTP://',
      'a.io',
      'xn--',
    ];
    const text = fc.array(fc.constantFrom(...alphabet), { maxLength: 60 }).map((units) => units.join(''));
    fc.assert(
      fc.property(text, (input) => {
        const parts = linkify(input);
        expect(source(parts)).toBe(input);
        for (const [i, part] of parts.entries()) {
          expect(part.text.length).toBeGreaterThan(0);
          if (part.kind === 'text') {
            expect(parts[i + 1]?.kind).not.toBe('text');
            continue;
          }
          const url = new URL(part.href);
          expect(['http:', 'https:']).toContain(url.protocol);
          expect(url.href).toBe(part.href);
          expect(url.hostname).not.toBe('');
          expect(part.text).not.toMatch(/[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/);
          expect(part.raw).toMatch(/^https?:\/\//i);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('takes linear time: each worst case of 4,000 characters well under 20 ms', () => {
    const report: string[] = [];
    for (const [name, input] of Object.entries(WORST_CASES)) {
      expect(input.length).toBeGreaterThan(3990);
      for (let i = 0; i < 3; i++) linkify(input); // warm up the JIT
      let best = Infinity;
      for (let run = 0; run < 10; run++) {
        const start = performance.now();
        const parts = linkify(input);
        best = Math.min(best, performance.now() - start);
        expect(source(parts)).toBe(input);
      }
      report.push(`${name}: ${best.toFixed(3)} ms`);
      // Generous against a busy CI machine; measured at under 1 ms each.
      expect(best, name).toBeLessThan(20);
    }
    console.info(`linkify, worst cases of 4,000 characters:\n  ${report.join('\n  ')}`);
  });
});
