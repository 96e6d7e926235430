/**
 * A user took another name (docs/protocol.md, "renamed"): one frame per
 * connection, however many rooms it shares with them. The name changes
 * wherever the state shows that user id as a person: our own user, every
 * room's members (a small room's record and a big room's pages) and who is
 * typing. Messages keep the name they were sent under, so they are left
 * alone. Pure, like reducers.ts.
 */
import type { User } from '@tether/protocol';

import type { ChatState, MemberPages, MembersSlice, StatePatch, TypingSlice } from './types';

/** `list` with `user` in place of the member with its id; the same array when they are not in it. */
function renamedIn(list: User[], user: User): User[] {
  const at = list.findIndex((member) => member.id === user.id);
  if (at === -1 || list[at]?.name === user.name) return list;
  const next = [...list];
  next[at] = user;
  return next;
}

function renamedMembers(members: MembersSlice, user: User): MembersSlice {
  let byRoom = members.byRoom;
  for (const [room, list] of Object.entries(members.byRoom)) {
    const next = renamedIn(list, user);
    if (next !== list) byRoom = { ...byRoom, [room]: next };
  }
  let pagesByRoom = members.pagesByRoom;
  for (const [room, pages] of Object.entries(members.pagesByRoom)) {
    const next = renamedIn(pages.members, user);
    if (next !== pages.members) {
      const renamed: MemberPages = { ...pages, members: next };
      pagesByRoom = { ...pagesByRoom, [room]: renamed };
    }
  }
  if (byRoom === members.byRoom && pagesByRoom === members.pagesByRoom) return members;
  return { ...members, byRoom, pagesByRoom };
}

function renamedTyping(typing: TypingSlice, user: User): TypingSlice {
  let byRoom = typing.byRoom;
  for (const [room, users] of Object.entries(typing.byRoom)) {
    const entry = users[user.id];
    if (entry === undefined || entry.user.name === user.name) continue;
    byRoom = { ...byRoom, [room]: { ...users, [user.id]: { ...entry, user } } };
  }
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
