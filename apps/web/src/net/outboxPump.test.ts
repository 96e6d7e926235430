/**
 * Sending, through ChatClient over a fake socket: the outbox shown at once,
 * kept across reconnects and reloads, resent with its ids, paced to the
 * server's rate, and every answer (ack, error, rate_limited, internal).
 */
import { describe, expect, it, vi } from 'vitest';

import { STORAGE_KEYS } from '../state/persistence';
import { messageViews } from '../state/selectors';
import { OUTBOX_LIMIT } from '../state/types';
import { setupClient } from '../test/clientHarness';
import { FAKE_NOW, fakeTimersEachTest } from '../test/fakes';
import { alice, joinedFrame, range, welcomeFrame } from '../test/frames';
import { FALLBACK_SEND_LIMITS } from './options';

fakeTimersEachTest(FAKE_NOW);

describe('ChatClient', () => {
  describe('send', () => {
    it('queues messages while reconnecting and shows them as sending', () => {
      const h = setupClient({ random: () => 0.9999 });
      const socket = h.signIn();
      socket.serverClose(1006);
      expect(h.state.connection.status.kind).toBe('reconnecting');

      const result = h.client.send('general', 'while away');
      expect(result.ok).toBe(true);
      expect(h.state.outbox.items).toEqual([
        expect.objectContaining({ room: 'general', text: 'while away', state: 'sending' }),
      ]);
      const views = messageViews(
        h.state.messages.byRoom.get('general'),
        h.state.outbox.items,
        'general',
        alice,
      );
      expect(views.at(-1)).toMatchObject({ text: 'while away', status: 'sending', own: true, seq: null });
      expect(socket.framesOf('send')).toEqual([]);
    });

    it('keeps queued messages in storage', () => {
      const h = setupClient();
      h.client.setName('alice');
      h.client.join('general');
      const result = h.client.send('general', 'offline hello');
      const stored = h.storage.getItem(STORAGE_KEYS.outbox) ?? '';
      expect(result.ok && stored.includes(result.id)).toBe(true);
      expect(stored).toContain('offline hello');
    });

    it('resends unacked messages with their original ids after the joins', () => {
      const h = setupClient({ random: () => 0 });
      const socket = h.signIn();
      const first = h.client.send('general', 'one');
      expect(socket.framesOf('send')).toHaveLength(1);
      socket.serverClose(1006);
      const second = h.client.send('general', 'two');

      const next = h.reconnect();
      const frames = next.frames();
      expect(frames.map((frame) => frame.type)).toEqual(['hello', 'join', 'send', 'send', 'ping']);
      expect(next.framesOf('send')).toEqual([
        { type: 'send', room: 'general', id: first.ok ? first.id : '', text: 'one' },
        { type: 'send', room: 'general', id: second.ok ? second.id : '', text: 'two' },
      ]);
    });

    it('on ack removes the message from the outbox and shows it by seq; the echo adds nothing', () => {
      const h = setupClient();
      const socket = h.signIn(range('general', 1, 3));
      const id = h.mustSend('general', 'hi');
      const [frame] = socket.framesOf('send');
      expect(frame).toEqual({ type: 'send', room: 'general', id, text: 'hi' });
      expect(id).toMatch(/^c_[A-Za-z0-9_-]{22}$/);

      socket.deliver({ type: 'ack', room: 'general', id, seq: 4, ts: 1234 });
      expect(h.state.outbox.items).toEqual([]);
      const own = { room: 'general', seq: 4, ts: 1234, id, from: alice, text: 'hi' };
      expect(h.messagesOf('general').at(-1)).toEqual(own);
      const before = h.state.messages;
      socket.deliver({ type: 'message', ...own });
      expect(h.state.messages).toBe(before);
      expect(h.messagesOf('general')).toHaveLength(4);
      expect(h.state.rooms.byName.get('general')?.unread).toBe(0);
      expect(h.storage.getItem(STORAGE_KEYS.outbox)).not.toContain(id);
    });

    it('marks a send failed on an error with its id; retry resends it with the same id; discard drops it', () => {
      const h = setupClient();
      const socket = h.signIn();
      const id = h.mustSend('general', 'x');
      socket.deliver({ type: 'error', code: 'text_too_long', message: 'too long', id, room: 'general' });
      expect(h.state.outbox.items[0]).toMatchObject({ id, state: 'failed', error: 'text_too_long' });

      h.client.retry(id);
      expect(h.state.outbox.items[0]).toEqual(expect.objectContaining({ state: 'sending' }));
      expect(h.state.outbox.items[0]?.error).toBeUndefined();
      expect(socket.framesOf('send').map((frame) => frame.id)).toEqual([id, id]);

      socket.deliver({ type: 'error', code: 'not_in_room', message: 'no', id, room: 'general' });
      h.client.discard(id);
      expect(h.state.outbox.items).toEqual([]);
    });

    it('does not resend failed messages after a reconnect', () => {
      const h = setupClient({ random: () => 0 });
      const socket = h.signIn();
      const id = h.mustSend('general', 'x');
      socket.deliver({ type: 'error', code: 'not_in_room', message: 'join first', id });
      socket.serverClose(1006);
      expect(h.reconnect().framesOf('send')).toEqual([]);
      expect(h.state.outbox.items[0]?.state).toBe('failed');
    });

    /**
     * Signs in, sends `text` and answers it with `error`, which the client must
     * not give up on: the message stays sending, is not sent again by `quietMs`,
     * and goes out again with its id by `resentByMs`.
     */
    function expectKeptAndResent(
      text: string,
      error: { code: 'rate_limited' | 'internal'; message: string },
      quietMs: number,
      resentByMs: number,
    ): void {
      const h = setupClient({ random: () => 0 });
      const socket = h.signIn();
      const id = h.mustSend('general', text);
      socket.deliver({ type: 'error', ...error, id });
      expect(h.state.outbox.items[0]?.state).toBe('sending');
      vi.advanceTimersByTime(quietMs);
      expect(socket.framesOf('send')).toHaveLength(1);
      vi.advanceTimersByTime(resentByMs - quietMs);
      expect(socket.framesOf('send').map((frame) => frame.id)).toEqual([id, id]);
    }

    it('retries a rate-limited send after a short pause instead of failing it', () => {
      expectKeptAndResent('fast', { code: 'rate_limited', message: 'slow down' }, 900, 1_900);
    });

    it('keeps a send the server could not store (internal) and resends it with the same id', () => {
      expectKeptAndResent('stored later', { code: 'internal', message: 'store is away' }, 1_900, 2_100);
    });

    it('paces a long outbox to the server rate: a burst of 20, then 10 a second', () => {
      const h = setupClient({ random: () => 0 });
      const socket = h.signIn();
      for (let i = 0; i < 40; i++) h.client.send('general', `m${i}`);
      expect(socket.framesOf('send')).toHaveLength(20);
      vi.advanceTimersByTime(1_000);
      expect(socket.framesOf('send')).toHaveLength(30);
      vi.advanceTimersByTime(1_000);
      expect(socket.framesOf('send').map((frame) => frame.text)).toEqual(
        Array.from({ length: 40 }, (_, i) => `m${i}`),
      );
    });

    it('paces by the limits the welcome announces: a burst of 3, then 2 a second', () => {
      const h = setupClient({ random: () => 0 });
      const socket = h.signIn([], { limits: { sendsPerSec: 2, burst: 3 } });
      for (let i = 0; i < 8; i++) h.client.send('general', `m${i}`);
      expect(socket.framesOf('send')).toHaveLength(3);
      vi.advanceTimersByTime(499);
      expect(socket.framesOf('send')).toHaveLength(3);
      vi.advanceTimersByTime(1);
      expect(socket.framesOf('send')).toHaveLength(4);
      vi.advanceTimersByTime(1_000);
      expect(socket.framesOf('send')).toHaveLength(6);
      vi.advanceTimersByTime(1_000);
      expect(socket.framesOf('send').map((frame) => frame.text)).toEqual(
        Array.from({ length: 8 }, (_, i) => `m${i}`),
      );
    });

    it('paces by the fallback, bursts of 20 then 10 a second, when the welcome has no limits (an older server)', () => {
      expect(FALLBACK_SEND_LIMITS).toEqual({ sendsPerSec: 10, burst: 20 });
      const h = setupClient({ random: () => 0 });
      const socket = h.signIn();
      expect(welcomeFrame()).not.toHaveProperty('limits');
      for (let i = 0; i < 25; i++) h.client.send('general', `m${i}`);
      expect(socket.framesOf('send')).toHaveLength(FALLBACK_SEND_LIMITS.burst);
      vi.advanceTimersByTime(99);
      expect(socket.framesOf('send')).toHaveLength(20);
      vi.advanceTimersByTime(1);
      expect(socket.framesOf('send')).toHaveLength(21);
      vi.advanceTimersByTime(400);
      expect(socket.framesOf('send')).toHaveLength(25);
    });

    it('takes the limits of each welcome, as from a server restarted with stricter settings', () => {
      const h = setupClient({ random: () => 0 });
      const socket = h.signIn();
      socket.serverClose(1006);
      for (let i = 0; i < 5; i++) h.client.send('general', `m${i}`);
      const next = h.reconnect([joinedFrame('general')], { limits: { sendsPerSec: 2, burst: 3 } });
      // The 20 tokens of the fallback's burst shrink to the new server's 3.
      expect(next.framesOf('send')).toHaveLength(3);
      vi.advanceTimersByTime(499);
      expect(next.framesOf('send')).toHaveLength(3);
      vi.advanceTimersByTime(1);
      expect(next.framesOf('send')).toHaveLength(4);
    });

    it(`reports a full outbox at ${OUTBOX_LIMIT} messages`, () => {
      const h = setupClient();
      h.client.join('general');
      for (let i = 0; i < OUTBOX_LIMIT; i++) expect(h.client.send('general', `m${i}`).ok).toBe(true);
      expect(h.state.outbox.full).toBe(true);
      expect(h.client.send('general', 'one more')).toEqual({ ok: false, reason: 'full' });
      expect(h.state.outbox.items).toHaveLength(OUTBOX_LIMIT);
      h.client.discard(h.state.outbox.items[0]!.id);
      expect(h.state.outbox.full).toBe(false);
    });

    it('refuses empty and too long texts and rooms it is not in', () => {
      const h = setupClient();
      h.client.join('general');
      expect(h.client.send('general', ' \n\u3000')).toEqual({ ok: false, reason: 'empty' });
      expect(h.client.send('general', 'x'.repeat(4001))).toEqual({ ok: false, reason: 'too_long' });
      expect(h.client.send('general', '😀'.repeat(4000)).ok).toBe(true);
      expect(h.client.send('elsewhere', 'hi')).toEqual({ ok: false, reason: 'not_in_room' });
    });
  });
});
