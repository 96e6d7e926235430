/** In-process implementations of the chat's ports: one server process, nobody else to tell. */
import type { Bus, MembershipDirectory } from '../chat/ports.js';
import { LocalBus } from './bus.js';
import { LocalMembership } from './membership.js';

export { LocalBus } from './bus.js';
export { systemClock } from './clock.js';
export { LocalMembership } from './membership.js';

/** Fan-out and membership for a single process. */
export function localFanout(): { bus: Bus; membership: MembershipDirectory } {
  return { bus: new LocalBus(), membership: new LocalMembership() };
}
