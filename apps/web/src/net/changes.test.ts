/**
 * Changing messages through ChatClient over a fake socket (docs/protocol.md
 * section 17): offered only by a server that serves changes, queued in the
 * outbox like sends (pending, kept across reloads, resent with the same id),
 * and the `update` frames that bring the new state.
 */
import { describe, expect, it } from 'vitest';

import { messageViews } from '../state/selectors';
import { setupClient } from '../test/clientHarness';
import { FAKE_NOW, MemoryStorage, fakeTimersEachTest } from '../test/fakes';
import { alice, bob, joinedFrame, message } from '../test/frames';

fakeTimersEachTest(FAKE_NOW);

const CHANGES = { features: ['changes'] };
const mine = message('general', 1, alice, 'first');
const theirs = message('general', 2, bob, 'second');

describe('ChatClient › changes', () => {
  it('are refused at once by a server that does not serve them', () => {
    const h = setupClient();
    h.signIn([mine]);
    expect(h.client.edit('general', 1, 'x')).toEqual({ ok: false, reason: 'unsupported' });
    expect(h.client.react('general', 1, '👍', true)).toEqual({ ok: false, reason: 'unsupported' });
  });

  it('sends edit, delete and react requests with ids, and replyTo with a send', () => {
    const h = setupClient();
    const socket = h.signIn([mine, theirs], CHANGES);
    const edit = h.client.edit('general', 1, 'first!');
    const react = h.client.react('general', 2, '👍', true);
    const reply = h.client.send('general', 'yes', { seq: 2, from: bob, text: 'second' });
    const del = h.client.deleteMessage('general', 1);
    expect(socket.frames().filter((f) => f.type !== 'ping')).toEqual([
      { type: 'edit', room: 'general', id: edit.ok && edit.id, target: 1, text: 'first!' },
      { type: 'react', room: 'general', id: react.ok && react.id, target: 2, emoji: '👍', on: true },
      { type: 'send', room: 'general', id: reply.ok && reply.id, text: 'yes', replyTo: 2 },
      { type: 'delete', room: 'general', id: del.ok && del.id, target: 1 },
    ]);
  });

  it('an edit to the same text sends nothing; a deleted or unknown message cannot change', () => {
    const h = setupClient();
    const socket = h.signIn([mine, { ...theirs, deleted: true, text: '' }], CHANGES);
    expect(h.client.edit('general', 1, 'first')).toEqual({ ok: true, id: null });
    expect(h.client.react('general', 2, '👍', true)).toEqual({ ok: false, reason: 'not_found' });
    expect(h.client.deleteMessage('general', 9)).toEqual({ ok: false, reason: 'not_found' });
    expect(socket.framesOf('edit')).toEqual([]);
  });

  it('offline, waits in the outbox shown as pending, survives a reload and goes out with the same id', () => {
    const storage = new MemoryStorage();
    const before = setupClient({ storage });
    const socket = before.signIn([mine, theirs], CHANGES);
    socket.serverClose(1006);
    const edit = before.client.edit('general', 1, 'edited offline');
    const del = before.client.deleteMessage('general', 1);
    const react = before.client.react('general', 2, '🎉', true);
    const views = messageViews(
      before.state.messages.byRoom.get('general'),
      before.state.outbox.items,
      'general',
      alice,
    );
    expect(views[0]).toMatchObject({ deleted: true, text: '', change: 'sending' });
    expect(views[1]).toMatchObject({ change: 'sending' });
    expect(views[1]?.reactions).toEqual([{ emoji: '🎉', count: 1, users: [alice.id], mine: true }]);
    before.environment.pagehide();

    const h = setupClient({ storage });
    expect(h.state.session.changes).toBe(true);
    h.client.start();
    const next = h.welcome(alice, 't_alice', CHANGES);
    next.deliver(joinedFrame('general', [], { seq: 2 }));
    const ids = next.frames().flatMap((f) => ('target' in f ? [[f.type, f.id]] : []));
    expect(ids).toEqual([
      ['edit', edit.ok && edit.id],
      ['delete', del.ok && del.id],
      ['react', react.ok && react.id],
    ]);
  });

  it('a refused change shows failed on its message until retried or discarded', () => {
    const h = setupClient();
    const socket = h.signIn([mine, theirs], CHANGES);
    const edit = h.client.edit('general', 2, 'not mine');
    const id = edit.ok ? (edit.id ?? '') : '';
    socket.deliver({ type: 'error', code: 'forbidden', message: '', request: 'edit', id, room: 'general' });
    const views = messageViews(
      h.state.messages.byRoom.get('general'),
      h.state.outbox.items,
      'general',
      alice,
    );
    expect(views[1]).toMatchObject({ text: 'second', change: 'failed', changeError: 'forbidden' });
    h.client.discard(id);
    expect(h.state.outbox.items).toEqual([]);
  });

  it('applies update frames, and resumes from the last event seq it read', () => {
    const h = setupClient();
    const socket = h.signIn([mine, theirs], CHANGES);
    socket.deliver({
      type: 'update',
      room: 'general',
      seq: 3,
      message: { ...theirs, text: 'second (better)', rev: 3, edited: 7 },
    });
    expect(h.messagesOf('general')[1]).toMatchObject({ text: 'second (better)', edited: 7 });
    socket.serverClose(1006);
    const next = h.reconnect([], CHANGES);
    expect(next.framesOf('join')).toEqual([{ type: 'join', room: 'general', since: 3, epoch: 'e1' }]);
  });
});
