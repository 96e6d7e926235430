/**
 * Splits plain message text into text and http(s) links. The result is
 * rendered as React text nodes and `<a>` elements, never as HTML, so nothing
 * in a message can become markup; a link's `href` is the URL as the URL
 * parser normalised it, and only `http:` and `https:` are ever linked (no
 * `javascript:`, `data:`, `file:`).
 *
 * A link's text is what was written, with two exceptions that keep it honest:
 * a host that the URL parser writes differently (a look-alike IDN such as
 * "аpple.com" with a Cyrillic а becomes its punycode "xn--pple-43d.com", a
 * percent-encoded or full-width host its plain form) is shown as the parser
 * writes it, which is where the link goes; and bidi controls, which could
 * make the text read in another order than the URL, are left out.
 *
 * Every step is linear in the text: one regex scan for candidates, one pass
 * over a candidate to trim it, one URL parse. Every member of a room renders
 * every message, so a message built to be slow (a URL and 4,000 ")") must
 * not be: the trim used to recount brackets for every character it removed,
 * 95 ms for one such message.
 */
import { withoutBidiControls } from './bidi';

export type TextPart =
  | { kind: 'text'; text: string }
  /** `raw`: the link as written in the message; `text`: as it is shown (see above). */
  | { kind: 'link'; text: string; href: string; raw: string };

// Candidates only; each is checked with the URL parser below. The lookbehind
// keeps "xhttp://" and "/https://" from starting a link mid-word. The greedy
// class cannot backtrack into anything: each match is one forward scan.
const CANDIDATE = /(?<![\p{L}\p{N}_/])https?:\/\/[^\s<>"'`]+/giu;

// Punctuation that usually ends a sentence rather than a URL.
const TRAILING = new Set('.,;:!?\'"*_~…。，、；：！？」』】）');

// A closing bracket belongs to the URL only if it opens one too
// (https://en.wikipedia.org/wiki/Tether_(disambiguation)). Indexes into the
// counts below: the closer's index is its opener's plus one.
const BRACKETS = '()[]{}';

/**
 * How much of `url` is the URL: trailing punctuation and closing brackets
 * with no opener left are taken off the end, one character at a time, until
 * the last one is neither. The brackets are counted once, and the counts
 * follow each removal, so this is O(n) where recounting was O(n²).
 */
export function trimmedLength(url: string): number {
  const count = [0, 0, 0, 0, 0, 0];
  for (let i = 0; i < url.length; i++) {
    const bracket = BRACKETS.indexOf(url.charAt(i));
    if (bracket !== -1) count[bracket] = (count[bracket] ?? 0) + 1;
  }
  let end = url.length;
  while (end > 0) {
    // Every character trimmed is in the BMP, so one UTF-16 unit is one character.
    const last = url.charAt(end - 1);
    const bracket = BRACKETS.indexOf(last);
    if (TRAILING.has(last)) {
      end--;
    } else if (bracket % 2 === 1 && (count[bracket] ?? 0) > (count[bracket - 1] ?? 0)) {
      count[bracket] = (count[bracket] ?? 0) - 1;
      end--;
    } else {
      break;
    }
  }
  return end;
}

/**
 * The URL, or null, without an exception for a refusal: a message of 400
 * "http://[ " would cost 400 exceptions (about 6 µs each). `URL.parse` does it
 * in one parse; browsers before it have `URL.canParse`, which takes two.
 */
function parseUrl(candidate: string): URL | null {
  if (typeof URL.parse === 'function') return URL.parse(candidate);
  if (typeof URL.canParse === 'function' && !URL.canParse(candidate)) return null;
  try {
    return new URL(candidate);
  } catch {
    return null;
  }
}

/** The URL when `candidate` is an http(s) link with a host, else null (a Markdown link's target goes through this too). */
export function parse(candidate: string): URL | null {
  const url = parseUrl(candidate);
  if (!url) return null;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (!url.hostname) return null;
  return url;
}

/** Where the host is written in `raw` (after "scheme://" and any "user@"), as [start, end). */
function hostSpan(raw: string): [number, number] {
  const start = raw.indexOf(':') + 3;
  let end = start;
  // The URL parser ends the authority at any of these ("\" is "/" in http URLs).
  while (end < raw.length && !'/?#\\'.includes(raw.charAt(end))) end++;
  const at = raw.lastIndexOf('@', end - 1);
  return [at >= start ? at + 1 : start, end];
}

/** The link's text: `raw` with the host as the URL parser writes it where that differs, without bidi controls. */
export function linkText(raw: string, url: URL): string {
  const [start, end] = hostSpan(raw);
  const written = raw.slice(start, end);
  // Upper case is the same host, written the same way to the eye.
  const text = written.toLowerCase() === url.host ? raw : raw.slice(0, start) + url.host + raw.slice(end);
  return withoutBidiControls(text);
}

export function linkify(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let last = 0;
  for (const match of text.matchAll(CANDIDATE)) {
    const start = match.index;
    const raw = match[0].slice(0, trimmedLength(match[0]));
    const url = parse(raw);
    if (!url) continue;
    if (start > last) parts.push({ kind: 'text', text: text.slice(last, start) });
    parts.push({ kind: 'link', text: linkText(raw, url), href: url.href, raw });
    last = start + raw.length;
  }
  if (last < text.length) parts.push({ kind: 'text', text: text.slice(last) });
  return parts;
}
