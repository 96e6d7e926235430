/**
 * What a close means for the next attempt (docs/protocol.md, "Reconnect"): how
 * long to wait, or that there is none. Pure: the random source is a parameter.
 */
import { CLOSE_CODES, FATAL_CLOSE_CODES, RECONNECT } from '@tether/protocol/constants';

// A Map like every lookup by a value from outside (state/maps.ts).
const FATAL_REASONS: ReadonlyMap<number, string> = new Map([
  [CLOSE_CODES.PROTOCOL_ERROR, 'unsupported_version'],
  [CLOSE_CODES.UNSUPPORTED_DATA, 'unsupported_data'],
  [CLOSE_CODES.POLICY_VIOLATION, 'policy_violation'],
  [CLOSE_CODES.MESSAGE_TOO_BIG, 'message_too_big'],
]);

/**
 * Why a close is final, or null when it is retried. A server that refused
 * this client (1002, 1003, 1008, 1009) would only refuse it again: the person
 * sees why (the server's reason, or one named after the code) and may retry
 * by hand.
 */
export function fatalCloseReason(code: number, reason: string): string | null {
  if (!FATAL_CLOSE_CODES.includes(code)) return null;
  return reason || (FATAL_REASONS.get(code) ?? `close_${code}`);
}

/**
 * Delay before reconnect attempt `attempt` (1, 2, …): full jitter over
 * `[0, min(MAX_DELAY_MS, BASE_DELAY_MS × 2^(attempt-1))]`, so clients that lost
 * the server together do not all come back in the same instant.
 */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const exponent = Math.max(0, attempt - 1);
  const ceiling = Math.min(RECONNECT.MAX_DELAY_MS, RECONNECT.BASE_DELAY_MS * 2 ** exponent);
  return Math.floor(random() * ceiling);
}

/** The delay after a close with `code`: a server at capacity (1013) is given at least 5 s. */
export function reconnectDelay(attempt: number, code: number, random: () => number = Math.random): number {
  const delay = backoffDelay(attempt, random);
  return code === CLOSE_CODES.TRY_AGAIN_LATER ? Math.max(delay, RECONNECT.TRY_AGAIN_LATER_MIN_MS) : delay;
}
