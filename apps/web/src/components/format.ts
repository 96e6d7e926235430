/** Small pure helpers for how people, times and lengths are shown. */

/**
 * One or two letters for an avatar: the first letter of the first two words
 * ("Ada Lovelace" → "AL"), else the first letter. Counted in code points so an
 * emoji or a CJK name is not cut in half.
 */
export function initials(name: string): string {
  const words = name
    .trim()
    .split(/[\s._-]+/u)
    .filter((w) => w.length > 0);
  const first = (w: string | undefined) => (w ? (Array.from(w)[0] ?? '') : '');
  const letters = words.length >= 2 ? first(words[0]) + first(words[1]) : first(words[0]);
  return letters.toLocaleUpperCase() || '?';
}

/** A stable hue (0–359) for a user id: FNV-1a, so similar ids still spread out. */
export function hueFor(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % 360;
}

// Intl formatters are costly to build and a long list formats thousands of
// times: keep one per locale.
const timeFormats = new Map<string, Intl.DateTimeFormat>();
const dayFormats = new Map<string, Intl.DateTimeFormat>();
const fullFormats = new Map<string, Intl.DateTimeFormat>();

function cached(
  map: Map<string, Intl.DateTimeFormat>,
  locale: string,
  options: Intl.DateTimeFormatOptions,
  key: string = locale,
): Intl.DateTimeFormat {
  let f = map.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, options);
    map.set(key, f);
  }
  return f;
}

/** "14:05" (or "2:05 PM"), as the locale writes a time of day. */
export function formatTime(ts: number, locale: string): string {
  return cached(timeFormats, locale, { hour: 'numeric', minute: '2-digit' }).format(ts);
}

/** Date and time in full, for a tooltip. */
export function formatFull(ts: number, locale: string): string {
  return cached(fullFormats, locale, { dateStyle: 'full', timeStyle: 'short' }).format(ts);
}

function startOfDay(ts: number): number {
  const d = new Date(ts);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

export function sameDay(a: number, b: number): boolean {
  return startOfDay(a) === startOfDay(b);
}

/** "Today", "Yesterday", or the date ("Monday, 3 March"; the year when it is not this one). */
export function formatDay(
  ts: number,
  now: number,
  locale: string,
  words: { today: string; yesterday: string },
): string {
  const day = startOfDay(ts);
  const today = startOfDay(now);
  if (day === today) return words.today;
  // Not today − 86 400 000: a day with a DST change is 23 or 25 hours long.
  const y = new Date(today);
  y.setDate(y.getDate() - 1);
  if (day === y.getTime()) return words.yesterday;
  const sameYear = new Date(ts).getFullYear() === new Date(now).getFullYear();
  return cached(
    dayFormats,
    locale,
    sameYear
      ? { weekday: 'long', month: 'long', day: 'numeric' }
      : { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' },
    `${locale}|${sameYear ? 'this year' : 'other year'}`,
  ).format(ts);
}

/** A server's wait in whole minutes, at least 1, for "try again in about N minutes"; null stays null. */
export function waitMinutes(ms: number | null): number | null {
  return ms === null ? null : Math.max(1, Math.ceil(ms / 60_000));
}
