/**
 * What the store sheds over time, so nothing a client can create piles up
 * without bound: users whose token expired, empty rooms nobody joined for
 * EMPTY_ROOM_TTL_HOURS (unless someone is in them), and messages past their
 * retention (none by default). Runs every hour on every process; the store
 * makes each step idempotent.
 */
import type { Logger } from 'pino';

import type { ChatSettings, ChatStore, Clock, MembershipDirectory, SweepResult } from './ports.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Empty rooms looked at per sweep; the next sweep takes the rest. */
const ROOMS_PER_SWEEP = 1000;

export interface HousekeepingDeps {
  store: ChatStore;
  membership: MembershipDirectory;
  clock: Clock;
  log: Logger;
  settings: ChatSettings;
  /** True while this process holds the room (someone is in it here). */
  isOpen: (room: string) => boolean;
  /** Users with a connection to this process: never swept. */
  liveUsers: () => string[];
}

export class Housekeeping {
  private readonly timer: NodeJS.Timeout;
  private running: Promise<SweepResult> | undefined;

  constructor(
    private readonly deps: HousekeepingDeps,
    intervalMs = HOUR_MS,
  ) {
    this.timer = setInterval(() => {
      this.sweep().catch((error: unknown) => deps.log.warn({ err: error }, 'housekeeping failed'));
    }, intervalMs);
    this.timer.unref();
  }

  /** One sweep now (one at a time). */
  sweep(): Promise<SweepResult> {
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async run(): Promise<SweepResult> {
    const { store, membership, clock, settings, log, isOpen } = this.deps;
    const now = clock.now();
    const idleBefore = now - settings.emptyRoomTtlHours * HOUR_MS;
    const candidates = (await store.idleEmptyRooms(idleBefore, ROOMS_PER_SWEEP)).filter(
      (room) => !isOpen(room),
    );
    const counts = await membership.counts(candidates);
    const retentionBefore = (days: number): number => (days === 0 ? -1 : now - days * DAY_MS);
    const result = await store.sweep({
      usersExpiredBefore: now,
      liveUsers: this.deps.liveUsers(),
      emptyRooms: candidates.filter((room) => (counts.get(room) ?? 0) === 0),
      emptyRoomsIdleBefore: idleBefore,
      retention: {
        default:
          settings.historyRetentionDays > 0 ? retentionBefore(settings.historyRetentionDays) : undefined,
        rooms: new Map([...settings.roomRetentionDays].map(([room, days]) => [room, retentionBefore(days)])),
      },
    });
    if (result.users + result.rooms + result.messages > 0) log.info(result, 'housekeeping swept');
    return result;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
