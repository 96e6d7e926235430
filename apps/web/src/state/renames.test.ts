import type { MemberPage, User } from '@tether/protocol';
import { describe, expect, it } from 'vitest';

import { alice, bob, joinedFrame, message } from '../test/frames';
import { memberPageReceived, memberPagesRequested } from './members';
import { joinedReceived, roomAdded, typingReceived } from './reducers';
import { renamedReceived } from './renames';
import { initialChatState } from './store';
import type { ChatState } from './types';

function apply(state: ChatState, patch: Partial<ChatState> | null): ChatState {
  return patch ? { ...state, ...patch } : state;
}

const robert: User = { id: bob.id, name: 'robert' };

/** alice, in a small room `a` with bob (who wrote seq 1 and is typing) and a big room `b` whose page lists bob. */
function withBob(): ChatState {
  let state = initialChatState();
  state = { ...state, session: { ...state.session, user: alice } };
  for (const room of ['a', 'b']) state = apply(state, roomAdded(state, room));
  state = apply(state, joinedReceived(state, joinedFrame('a', [message('a', 1, bob)]), alice.id));
  state = apply(state, joinedReceived(state, joinedFrame('b', [], { memberCount: 900 }), alice.id));
  state = apply(state, memberPagesRequested(state, 'b', { prefix: '' }));
  const page: MemberPage = { type: 'members', room: 'b', members: [alice, bob], count: 900, hasMore: false };
  state = apply(state, memberPageReceived(state, page, { prefix: '' }));
  return apply(state, typingReceived(state, { type: 'typing', room: 'a', user: bob }, alice.id, 5000));
}

describe('renamed', () => {
  it('renames the user in every member list, big-room pages and who is typing', () => {
    const state = apply(withBob(), renamedReceived(withBob(), robert));
    expect(state.members.byRoom.get('a')).toEqual([alice, robert]);
    expect(state.members.byRoom.get('b')).toEqual([alice, robert]);
    expect(state.members.pagesByRoom.get('b')?.members).toEqual([alice, robert]);
    expect(state.typing.byRoom.get('a')?.get(bob.id)?.user).toEqual(robert);
  });

  it('leaves the messages already shown under the name they were sent with', () => {
    const before = withBob();
    const state = apply(before, renamedReceived(before, robert));
    expect(state.messages).toBe(before.messages);
    expect(state.messages.byRoom.get('a')?.[1]?.from.name).toBe('bob');
  });

  it('renames our own user', () => {
    const before = withBob();
    const state = apply(before, renamedReceived(before, { id: alice.id, name: 'alicia' }));
    expect(state.session.user).toEqual({ id: alice.id, name: 'alicia' });
    expect(state.members.byRoom.get('a')).toEqual([{ id: alice.id, name: 'alicia' }, bob]);
  });

  it('changes nothing for a stranger or a name already held', () => {
    const state = withBob();
    expect(renamedReceived(state, { id: 'u_stranger', name: 'x' })).toBeNull();
    expect(renamedReceived(state, bob)).toBeNull();
  });
});
