import type { Clock } from '../chat/ports.js';

/** The system's clocks: the wall clock, and the monotonic one that never steps. */
export const systemClock: Clock = { now: () => Date.now(), monotonic: () => performance.now() };
