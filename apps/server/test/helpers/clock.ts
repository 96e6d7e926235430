/**
 * A server clock that stands still until a test moves it: rules that count
 * time by the server's clock (the send budget, the typing throttle) then do
 * not depend on how fast a loaded machine commits or answers.
 *
 *   const clock = manualClock();
 *   await using srv = await startTestServer({ RATE_LIMIT_PER_SEC: '2' }, { clock });
 *   clock.advance(500);
 */
import type { Clock } from '../../src/chat/ports.js';

export interface ManualClock extends Clock {
  /** Moves the clock `ms` forward. */
  advance(ms: number): void;
}

export function manualClock(start = Date.now()): ManualClock {
  let now = start;
  return {
    now: () => now,
    advance(ms) {
      now += ms;
    },
  };
}
