/**
 * Splits plain message text into text and http(s) links. The result is
 * rendered as React text nodes and `<a>` elements, never as HTML, so nothing
 * in a message can become markup; a link's `href` is the URL as the URL
 * parser normalised it, and only `http:` and `https:` are ever linked (no
 * `javascript:`, `data:`, `file:`).
 */

export type TextPart = { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string };

// Candidates only; each is checked with the URL parser below. The lookbehind
// keeps "xhttp://" and "/https://" from starting a link mid-word.
const CANDIDATE = /(?<![\p{L}\p{N}_/])https?:\/\/[^\s<>"'`]+/giu;

// Punctuation that usually ends a sentence rather than a URL.
const TRAILING = /[.,;:!?'"*_~…。，、；：！？」』】）]+$/u;

function trimTrailing(url: string): string {
  let out = url;
  for (;;) {
    const before = out;
    out = out.replace(TRAILING, '');
    // A closing bracket belongs to the URL only if it opens one too
    // (https://en.wikipedia.org/wiki/Tether_(disambiguation)).
    for (const [open, close] of [
      ['(', ')'],
      ['[', ']'],
      ['{', '}'],
    ] as const) {
      while (out.endsWith(close) && count(out, close) > count(out, open)) out = out.slice(0, -1);
    }
    if (out === before) return out;
  }
}

function count(s: string, ch: string): number {
  let n = 0;
  for (const c of s) if (c === ch) n++;
  return n;
}

function safeHref(candidate: string): string | null {
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (!url.hostname) return null;
  return url.href;
}

export function linkify(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let last = 0;
  for (const match of text.matchAll(CANDIDATE)) {
    const start = match.index;
    const raw = trimTrailing(match[0]);
    const href = safeHref(raw);
    if (!href) continue;
    if (start > last) parts.push({ kind: 'text', text: text.slice(last, start) });
    parts.push({ kind: 'link', text: raw, href });
    last = start + raw.length;
  }
  if (last < text.length) parts.push({ kind: 'text', text: text.slice(last) });
  return parts;
}
