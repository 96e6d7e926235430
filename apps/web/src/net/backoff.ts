/** Reconnect delays (PROTOCOL.md, "Reconnect"). Pure: the random source is a parameter. */
import { CLOSE_CODES, RECONNECT } from '@tether/protocol/constants';

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
