import { LIMITS, type ServerMessage, type User } from '@tether/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import type { Frame } from './ports.js';
import { RoomMembers, rosterIntervalMs } from './room-members.js';

const user = (i: number): User => ({ id: `u_${i}`, name: `user-${i}` });

/** A room of `count` members whose broadcasts are recorded. */
function room(count: number): { members: RoomMembers; sent: ServerMessage[] } {
  const sent: ServerMessage[] = [];
  const members = new RoomMembers(
    'r',
    Array.from({ length: count }, (_, i) => user(i)),
    (m) => ({ byteLength: 1, message: m }) as Frame & { message: ServerMessage },
    (frame) => sent.push((frame as Frame & { message: ServerMessage }).message),
  );
  return { members, sent };
}

describe('roster counts of a big room', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('come at most once a second up to 1,000 members, then a millisecond per member, at most 10 s apart', () => {
    expect(rosterIntervalMs(LIMITS.SMALL_ROOM_MAX_MEMBERS + 1)).toBe(1000);
    expect(rosterIntervalMs(1000)).toBe(1000);
    expect(rosterIntervalMs(5000)).toBe(5000);
    expect(rosterIntervalMs(28_000)).toBe(LIMITS.ROSTER_MAX_INTERVAL_MS);
  });

  it('in a room of 5,000 filling up, carry the count every 5 s, not every second', () => {
    const { members, sent } = room(5000);
    let next = 5000;
    const at: number[] = [];
    for (let ms = 0; ms < 12_000; ms += 100) {
      members.add(user(next++));
      vi.advanceTimersByTime(100);
      for (const m of sent.splice(0)) if (m.type === 'roster') at.push(ms);
    }
    // The first count goes at once, then one each 5 s or so (5,000+ members).
    expect(at.length).toBe(3);
    expect((at[1] as number) - (at[0] as number)).toBeGreaterThanOrEqual(5000);
    expect((at[2] as number) - (at[1] as number)).toBeGreaterThanOrEqual(5000);
    members.dispose();
  });

  it('in a room filling from 501 to 5,000, wait the interval of the size they carry', () => {
    const { members, sent } = room(501);
    let next = 501;
    const at: [number, number][] = [];
    for (let ms = 0; ms < 12_000; ms += 10) {
      // 5,000 joins a second, as in a connect storm.
      if (next < 5000) for (let k = 0; k < 50; k++) members.add(user(next++));
      vi.advanceTimersByTime(10);
      for (const m of sent.splice(0)) if (m.type === 'roster') at.push([ms, m.count]);
    }
    // Each count waited at least its own interval after the one before.
    for (let i = 1; i < at.length; i++) {
      const [ms, count] = at[i] as [number, number];
      expect(ms - (at[i - 1] as [number, number])[0]).toBeGreaterThanOrEqual(rosterIntervalMs(count) - 10);
    }
    expect(at.at(-1)?.[1]).toBe(members.count);
    expect(at.length).toBeLessThanOrEqual(3);
    members.dispose();
  });

  it('in a room of 600, carry the count every second', () => {
    const { members, sent } = room(600);
    let next = 600;
    let rosters = 0;
    for (let ms = 0; ms < 3_050; ms += 50) {
      members.add(user(next++));
      vi.advanceTimersByTime(50);
      rosters += sent.splice(0).filter((m) => m.type === 'roster').length;
    }
    expect(rosters).toBe(4);
    members.dispose();
  });
});
