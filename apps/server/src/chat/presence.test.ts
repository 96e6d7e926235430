import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { Presence } from './presence.js';

const alice = { id: 'u_a', name: 'alice' };

describe('Presence', () => {
  let events: string[];
  let presence: Presence;

  beforeEach(() => {
    vi.useFakeTimers();
    events = [];
    presence = new Presence(15_000, (user, state) => events.push(`${user.name} ${state}`));
  });
  afterEach(() => vi.useRealTimers());

  it('announces the first connection of a user and the clean leave of the last', () => {
    presence.add(alice);
    presence.add(alice);
    presence.remove(alice.id, true);
    expect(events).toEqual(['alice joined']);
    presence.remove(alice.id, true);
    expect(events).toEqual(['alice joined', 'alice left']);
  });

  it('keeps a dropped user a member for the grace period, then announces left', () => {
    presence.add(alice);
    presence.remove(alice.id, false);
    expect(presence.list()).toEqual([alice]);
    vi.advanceTimersByTime(14_999);
    expect(events).toEqual(['alice joined']);
    vi.advanceTimersByTime(1);
    expect(events).toEqual(['alice joined', 'alice left']);
    expect(presence.list()).toEqual([]);
  });

  it('shows a quick reconnect as neither left nor joined', () => {
    presence.add(alice);
    presence.remove(alice.id, false);
    vi.advanceTimersByTime(5000);
    presence.add(alice);
    vi.advanceTimersByTime(60_000);
    expect(events).toEqual(['alice joined']);
  });

  it('forgets everyone silently on clear', () => {
    presence.add(alice);
    presence.remove(alice.id, false);
    presence.clear();
    vi.advanceTimersByTime(60_000);
    expect(events).toEqual(['alice joined']);
    expect(presence.size).toBe(0);
  });
});
