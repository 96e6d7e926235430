/**
 * Joins refused with `rate_limited` (docs/protocol.md, "Budgets"), through
 * ChatClient over a fake socket: not a failed room, joined again after a
 * pause, one at a time, the pause doubling while refusals go on.
 */
import { describe, expect, it, vi } from 'vitest';

import { setupClient } from '../test/clientHarness';
import { FAKE_NOW, fakeTimersEachTest } from '../test/fakes';
import type { FakeWebSocket } from '../test/fakes';
import { joinedFrame } from '../test/frames';
import { MAX_PAUSE_MS, SLOW_AFTER_REFUSALS } from './joinRetry';

fakeTimersEachTest(FAKE_NOW);

/**
 * Lets `ms` pass on a link that stays alive: the server answers every ping
 * (the heartbeat would otherwise drop the socket during a long pause).
 */
function alive(socket: FakeWebSocket, ms: number): void {
  for (let left = ms; left > 0; left -= 1000) {
    vi.advanceTimersByTime(Math.min(1000, left));
    for (const ping of socket.framesOf('ping').slice(-1)) socket.deliver({ type: 'pong', t: ping.t });
  }
}

const limited = (room: string) => ({
  type: 'error' as const,
  code: 'rate_limited' as const,
  message: 'too many joins and leaves; slow down',
  room,
});

describe('Joins', () => {
  it('joins a refused room again after a pause, and does not show it as failed', () => {
    const h = setupClient({ random: () => 0 });
    const socket = h.signIn();
    h.client.join('random');
    socket.deliver(limited('random'));
    expect(h.state.rooms.byName.get('random')).toMatchObject({ joined: false, error: null });
    vi.advanceTimersByTime(999);
    expect(socket.framesOf('join')).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(socket.framesOf('join')).toEqual([
      { type: 'join', room: 'random' },
      { type: 'join', room: 'random' },
    ]);
    socket.deliver(joinedFrame('random'));
    expect(h.state.rooms.byName.get('random')).toMatchObject({ joined: true, error: null });
    alive(socket, 60_000);
    expect(socket.framesOf('join')).toHaveLength(2);
  });

  it('joins refused rooms one at a time, the pause doubling while refusals go on', () => {
    const h = setupClient({ random: () => 0 });
    const socket = h.signIn();
    for (const room of ['a', 'b', 'c']) h.client.join(room);
    for (const room of ['a', 'b', 'c']) socket.deliver(limited(room));
    socket.clearSent();

    // Each retry waits for the answer to the one before; a second refusal of a
    // room doubles the pause: 1 s, then 2 s, 4 s, 8 s.
    const start = Date.now();
    for (const [at, room] of [
      [1000, 'a'],
      [3000, 'b'],
      [7000, 'c'],
      [15_000, 'a'],
    ] as const) {
      const before = socket.framesOf('join').length;
      vi.advanceTimersByTime(start + at - Date.now() - 1);
      expect(socket.framesOf('join')).toHaveLength(before);
      vi.advanceTimersByTime(1);
      expect(socket.framesOf('join').at(-1)).toEqual({ type: 'join', room });
      expect(socket.framesOf('join')).toHaveLength(before + 1);
      socket.deliver(limited(room));
    }
  });

  it('never waits more than MAX_PAUSE_MS, and says the room is waiting after a few refusals', () => {
    const h = setupClient({ random: () => 0 });
    const socket = h.signIn();
    h.client.join('random');
    socket.deliver(limited('random'));
    let pause = 1000;
    for (let refusal = 2; refusal <= 8; refusal++) {
      alive(socket, pause);
      expect(socket.framesOf('join').at(-1)).toEqual({ type: 'join', room: 'random' });
      socket.deliver(limited('random'));
      if (refusal < SLOW_AFTER_REFUSALS) expect(h.state.rooms.byName.get('random')?.error).toBeNull();
      pause = Math.min(MAX_PAUSE_MS, pause * 2);
    }
    expect(pause).toBe(MAX_PAUSE_MS);
    expect(h.state.rooms.byName.get('random')?.error).toBe('rate_limited');
    const joins = socket.framesOf('join').length;
    alive(socket, MAX_PAUSE_MS - 1);
    expect(socket.framesOf('join')).toHaveLength(joins);
    alive(socket, 1);
    expect(socket.framesOf('join')).toHaveLength(joins + 1);
    socket.deliver(joinedFrame('random'));
    expect(h.state.rooms.byName.get('random')).toMatchObject({ joined: true, error: null });
  });

  it('does not join again a room left meanwhile, nor on a connection that is gone', () => {
    const h = setupClient({ random: () => 0 });
    const socket = h.signIn();
    h.client.join('random');
    h.client.join('books');
    socket.deliver(limited('random'));
    socket.deliver(limited('books'));
    h.client.leave('random');
    socket.serverClose(1006);
    const next = h.reconnect();
    // The resume joins every room once, as on any connection.
    expect(next.framesOf('join').map((join) => join.room)).toEqual(['general', 'books']);
    vi.advanceTimersByTime(60_000);
    expect(next.framesOf('join')).toHaveLength(2);
  });

  it('still shows a join refused for good', () => {
    const h = setupClient();
    const socket = h.signIn();
    h.client.join('random');
    socket.deliver({ type: 'error', code: 'too_many_rooms', message: 'at most 20', room: 'random' });
    expect(h.state.rooms.byName.get('random')).toMatchObject({ joined: false, error: 'too_many_rooms' });
  });
});
