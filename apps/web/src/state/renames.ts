/**
 * A user took another name (docs/protocol.md, "renamed"): one frame per
 * connection, however many rooms it shares with them. The name changes
 * wherever the state shows that user id as a person: our own user, every
 * room's members (a small room's record and a big room's pages) and who is
 * typing. Messages keep the name they were sent under, so they are left
 * alone. Pure, like reducers.ts.
 */
import type { User } from '@tether/protocol';

import { mapValues } from './maps';
import type { ChatState, MembersSlice, StatePatch, TypingSlice } from './types';

/** `list` with `user` in place of the member with its id; the same array when they are not in it. */
function renamedIn(list: User[], user: User): User[] {
  const at = list.findIndex((member) => member.id === user.id);
  if (at === -1 || list[at]?.name === user.name) return list;
  const next = [...list];
  next[at] = user;
  return next;
}

function renamedMembers(members: MembersSlice, user: User): MembersSlice {
  const byRoom = mapValues(members.byRoom, (list) => renamedIn(list, user));
  const pagesByRoom = mapValues(members.pagesByRoom, (pages) => {
    const list = renamedIn(pages.members, user);
    return list === pages.members ? pages : { ...pages, members: list };
  });
  if (byRoom === members.byRoom && pagesByRoom === members.pagesByRoom) return members;
  return { ...members, byRoom, pagesByRoom };
}

function renamedTyping(typing: TypingSlice, user: User): TypingSlice {
  const byRoom = mapValues(typing.byRoom, (users) =>
    mapValues(users, (entry, id) =>
      id === user.id && entry.user.name !== user.name ? { ...entry, user } : entry,
    ),
  );
  return byRoom === typing.byRoom ? typing : { byRoom };
}

/** `user` now holds `user.name`, wherever the state shows that id as a person. */
export function renamedReceived(state: ChatState, user: User): StatePatch {
  const patch: Partial<ChatState> = {};
  const self = state.session.user;
  if (self?.id === user.id && self.name !== user.name) patch.session = { ...state.session, user };
  const members = renamedMembers(state.members, user);
  if (members !== state.members) patch.members = members;
  const typing = renamedTyping(state.typing, user);
  if (typing !== state.typing) patch.typing = typing;
  return Object.keys(patch).length === 0 ? null : patch;
}
