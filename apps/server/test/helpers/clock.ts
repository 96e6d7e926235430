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
  /** Time passes: both clocks move `ms` forward. */
  advance(ms: number): void;
  /** The wall clock is stepped (NTP, a person): only it moves, by `ms` (negative: back). */
  stepWall(ms: number): void;
}

export function manualClock(start = Date.now()): ManualClock {
  let wall = start;
  let monotonic = 0;
  return {
    now: () => wall,
    monotonic: () => monotonic,
    advance(ms) {
      wall += ms;
      monotonic += ms;
    },
    stepWall(ms) {
      wall += ms;
    },
  };
}

/** The real clocks, with the wall clock stepped by `offset()` ms: monotonic time is untouched. */
export function steppedClock(offset: () => number): Clock {
  return { now: () => Date.now() + offset(), monotonic: () => performance.now() };
}
