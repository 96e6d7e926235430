/**
 * How long to wait after `rate_limited` (docs/protocol.md, "The error frame"
 * and "Budgets"): the server says when its budget has room again
 * (`retryAfterMs`); a client waits that long, plus a little jitter so the tabs
 * and people it refused together do not all come back in the same
 * millisecond. An older server says nothing, and each caller falls back on
 * its own guess.
 */

/**
 * The longest wait taken from a server's word. Budgets refill in seconds
 * (sends, joins, reads) or minutes (20 renames an hour: 3 minutes each); a
 * larger number is a server's mistake, and the client would look stuck.
 */
export const RETRY_AFTER_MAX_MS = 5 * 60_000;

/** Jitter on top of the server's wait: up to a tenth of it, plus up to this many ms. */
export const RETRY_AFTER_JITTER_MS = 100;

/**
 * The pause before asking again: the server's `retryAfterMs` (clamped to
 * [0, RETRY_AFTER_MAX_MS]) plus jitter when it gave one, else `fallback()`.
 */
export function retryAfterDelay(
  retryAfterMs: number | undefined,
  fallback: () => number,
  random: () => number,
): number {
  if (retryAfterMs === undefined || !Number.isFinite(retryAfterMs)) return fallback();
  const wait = Math.min(Math.max(retryAfterMs, 0), RETRY_AFTER_MAX_MS);
  return Math.ceil(wait + random() * (wait / 10 + RETRY_AFTER_JITTER_MS));
}

/** What a refusal says: its code, and with `rate_limited` when to ask again (an `ErrorMessage` is one). */
export interface Refusal {
  code: string;
  retryAfterMs?: number | undefined;
}
