import type { Clock } from '../chat/ports.js';

/** The system's wall clock. */
export const systemClock: Clock = { now: () => Date.now() };
