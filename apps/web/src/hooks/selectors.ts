/**
 * Hooks that subscribe to the chat store and select: each reads the narrowest
 * slice it needs, and derived arrays are memoised on those slices, so a
 * component re-renders only when what it shows changed.
 */
import type { User } from '@tether/protocol';
import { useMemo } from 'react';
import { useStore } from 'zustand';

import { messageViews, roomViews, typingNames } from '../state/selectors';
import type { MessageView } from '../state/selectors';
import type {
  ChatState,
  ConnectionSlice,
  DirectorySlice,
  MemberPages,
  OutboxSlice,
  RoomView,
  SessionSlice,
} from '../state/types';
import { useChatClient } from './ChatProvider';

const NO_USERS: readonly User[] = Object.freeze([]);

/** Any selection from the chat state; the selector must return a stable reference. */
export function useChatState<T>(selector: (state: ChatState) => T): T {
  return useStore(useChatClient().store, selector);
}

/** Status (connecting, open, reconnecting {attempt, retryAt}, offline, failed {reason}) and the last RTT. */
export function useConnection(): ConnectionSlice {
  return useChatState((s) => s.connection);
}

/** The user (null: show the name picker), the name in flight, and why a name was refused. */
export function useSession(): SessionSlice {
  return useChatState((s) => s.session);
}

export interface RoomsView {
  /** Joined rooms in the order they were joined. */
  rooms: readonly RoomView[];
  current: string | null;
}

export function useRooms(): RoomsView {
  const order = useChatState((s) => s.rooms.order);
  const byName = useChatState((s) => s.rooms.byName);
  const selected = useChatState((s) => s.rooms.current);
  return useMemo(() => ({ rooms: roomViews(order, byName), current: selected }), [order, byName, selected]);
}

export function useCurrentRoom(): RoomView | null {
  return useChatState((s) =>
    s.rooms.current === null ? null : (s.rooms.byName.get(s.rooms.current) ?? null),
  );
}

/**
 * The timeline of a room, ascending: stored messages by seq, then ours still
 * in the outbox ('sending' or 'failed').
 */
export function useMessages(room: string | null): readonly MessageView[] {
  const held = useChatState((s) => (room === null ? undefined : s.messages.byRoom.get(room)));
  const outbox = useChatState((s) => s.outbox.items);
  const self = useChatState((s) => s.session.user);
  return useMemo(
    () => (room === null ? [] : messageViews(held, outbox, room, self)),
    [held, outbox, room, self],
  );
}

export function useMembers(room: string | null): readonly User[] {
  return useChatState((s) => (room === null ? NO_USERS : (s.members.byRoom.get(room) ?? NO_USERS)));
}

export interface RoomMembersView {
  /** A small room: every member. A big room: the pages read (before the first, the page `joined` gave). */
  members: readonly User[];
  /** How many members the room has. */
  count: number;
  /** A small room: `members` is everyone, kept live by presence. */
  complete: boolean;
  /** A big room's pages, once the panel asked for them. */
  pages: MemberPages | null;
}

/** A room's members as its panel shows them: small rooms whole, big rooms by pages (docs/protocol.md "Big rooms"). */
export function useRoomMembers(room: string | null): RoomMembersView {
  const list = useMembers(room);
  const roster = useChatState((s) => (room === null ? undefined : s.members.rosterByRoom.get(room)));
  const pages = useChatState((s) => (room === null ? undefined : s.members.pagesByRoom.get(room))) ?? null;
  return useMemo(() => {
    const complete = roster?.complete ?? true;
    return {
      members: !complete && pages ? pages.members : list,
      count: roster?.count ?? list.length,
      complete,
      pages: complete ? null : pages,
    };
  }, [list, roster, pages]);
}

/** Names typing in the room now, not ours; each disappears 3 s after its last signal. */
export function useTyping(room: string | null): readonly string[] {
  const typing = useChatState((s) => s.typing);
  const selfId = useChatState((s) => s.session.user?.id ?? null);
  return useMemo(() => (room === null ? [] : typingNames(typing, room, selfId)), [typing, room, selfId]);
}

/** Every unsent message, and whether the outbox is full. */
export function useOutbox(): OutboxSlice {
  return useChatState((s) => s.outbox);
}

/** Every room on the server, after `client.listRooms()`. */
export function useDirectory(): DirectorySlice {
  return useChatState((s) => s.directory);
}
