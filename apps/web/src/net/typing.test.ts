/** Typing signals, through ChatClient over a fake socket: ours throttled and never queued, theirs expiring. */
import { describe, expect, it, vi } from 'vitest';

import { typingNames } from '../state/selectors';
import { setupClient } from '../test/clientHarness';
import { FAKE_NOW, fakeTimersEachTest } from '../test/fakes';
import { alice, bob, message } from '../test/frames';

fakeTimersEachTest(FAKE_NOW);

describe('ChatClient', () => {
  describe('typing', () => {
    it('sends typing at most once per 2 s per room, and never queues it', () => {
      const h = setupClient({ random: () => 0 });
      const socket = h.signIn();
      h.client.typing('general');
      h.client.typing('general');
      vi.advanceTimersByTime(1_999);
      h.client.typing('general');
      expect(socket.framesOf('typing')).toEqual([{ type: 'typing', room: 'general' }]);
      vi.advanceTimersByTime(1);
      h.client.typing('general');
      expect(socket.framesOf('typing')).toHaveLength(2);

      socket.serverClose(1006);
      h.client.typing('general');
      expect(h.reconnect().framesOf('typing')).toEqual([]);
    });

    it('shows who else is typing for 3 s after their last signal', () => {
      const h = setupClient();
      const socket = h.signIn();
      socket.deliver({ type: 'typing', room: 'general', user: bob });
      socket.deliver({ type: 'typing', room: 'general', user: alice });
      expect(typingNames(h.state.typing, 'general', alice.id)).toEqual(['bob']);
      vi.advanceTimersByTime(2_000);
      socket.deliver({ type: 'typing', room: 'general', user: bob });
      vi.advanceTimersByTime(2_999);
      expect(typingNames(h.state.typing, 'general', alice.id)).toEqual(['bob']);
      vi.advanceTimersByTime(1);
      expect(h.state.typing.byRoom.size).toBe(0);
    });

    it('stops showing someone as typing when their message arrives', () => {
      const h = setupClient();
      const socket = h.signIn();
      socket.deliver({ type: 'typing', room: 'general', user: bob });
      socket.deliver({ type: 'message', ...message('general', 1) });
      expect(typingNames(h.state.typing, 'general', alice.id)).toEqual([]);
    });
  });
});
