/**
 * Pure state transitions: (state, event) → the slices that change, or null when
 * nothing does. `ChatClient` applies them with `store.setState`; keeping them
 * free of sockets and timers lets tests drive them with plain objects.
 */
import type { Ack, HistoryPage, Joined, Message, Presence, TypingEvent, User } from '@tether/protocol';

import { emptyMap, mapValues, withEntry, withoutEntry } from './maps';
import { isComplete, memberPagesIdle, membersChanged, membersJoined, membersRemoved } from './members';
import { applyChange, resumePoint } from './changes';
import { NO_MESSAGES, mergeMessages, newestSeq, revOf } from './messages';
import type { RoomMessages } from './messages';
import { OUTBOX_LIMIT } from './types';
import type {
  ChatState,
  OutboxItem,
  OutboxSlice,
  RoomView,
  RoomsSlice,
  StatePatch,
  TypingEntry,
  TypingSlice,
} from './types';

export type { StatePatch } from './types';

export function emptyRoom(name: string): RoomView {
  return {
    name,
    epoch: null,
    seq: 0,
    stream: null,
    joined: false,
    unread: 0,
    hasMore: false,
    loadingOlder: false,
    error: null,
  };
}

export function outboxSlice(items: OutboxItem[]): OutboxSlice {
  return { items, full: items.length >= OUTBOX_LIMIT };
}

function withRoom(rooms: RoomsSlice, view: RoomView): RoomsSlice {
  return { ...rooms, byName: withEntry(rooms.byName, view.name, view) };
}

function withMessages(state: ChatState, room: string, held: RoomMessages): ChatState['messages'] {
  return { byRoom: withEntry(state.messages.byRoom, room, held) };
}

function withoutTyping(typing: TypingSlice, room: string, userId: string): TypingSlice {
  const inRoom = typing.byRoom.get(room);
  if (!inRoom?.has(userId)) return typing;
  const rest = withoutEntry(inRoom, userId);
  return {
    byRoom: rest.size === 0 ? withoutEntry(typing.byRoom, room) : withEntry(typing.byRoom, room, rest),
  };
}

/** A room the person asked to join; it is listed at once, before the server answers. */
export function roomAdded(state: ChatState, room: string): StatePatch {
  if (state.rooms.byName.has(room)) return null;
  const rooms = withRoom(state.rooms, emptyRoom(room));
  return { rooms: { ...rooms, order: [...state.rooms.order, room] } };
}

/** Everything held about a room, and its unsent messages, go with it. */
export function roomRemoved(state: ChatState, room: string): StatePatch {
  if (!state.rooms.byName.has(room)) return null;
  const order = state.rooms.order.filter((name) => name !== room);
  let current = state.rooms.current;
  if (current === room) {
    const index = state.rooms.order.indexOf(room);
    current = order[Math.min(index, order.length - 1)] ?? null;
  }
  const items = state.outbox.items.filter((item) => item.room !== room);
  return {
    rooms: { order, current, byName: withoutEntry(state.rooms.byName, room) },
    messages: { byRoom: withoutEntry(state.messages.byRoom, room) },
    members: membersRemoved(state.members, room),
    typing: { byRoom: withoutEntry(state.typing.byRoom, room) },
    reading: { byRoom: withoutEntry(state.reading.byRoom, room) },
    outbox: items.length === state.outbox.items.length ? state.outbox : outboxSlice(items),
  };
}

/** Selecting a room marks it read. */
export function roomSelected(state: ChatState, room: string | null): StatePatch {
  const view = room === null ? undefined : state.rooms.byName.get(room);
  if (room !== null && !view) return null;
  if (state.rooms.current === room && (!view || view.unread === 0)) return null;
  const rooms = view && view.unread !== 0 ? withRoom(state.rooms, { ...view, unread: 0 }) : state.rooms;
  return { rooms: { ...rooms, current: room } };
}

/**
 * The answer to `join`, first or resumed. Messages merge by seq; what we kept
 * is dropped when the epoch changed (the history was reset) or when the answer
 * does not reach back to what we hold (a resume longer than RESUME_LIMIT), so
 * the messages held stay one gap-free run.
 */
export function joinedReceived(state: ChatState, joined: Joined, selfId: string | null): StatePatch {
  const view = state.rooms.byName.get(joined.room);
  // Left again before the answer came.
  if (!view) return null;
  const held = state.messages.byRoom.get(joined.room) ?? NO_MESSAGES;
  const epochChanged = view.epoch !== null && view.epoch !== joined.epoch;
  // What the join resumed from (joins.ts sends the same). A resume answers
  // every message whose rev is past it, new or changed; its `hasMore` says
  // some were left out (more than RESUME_LIMIT), and a `seq` below it that
  // the server holds less than we do: either way our copy has a hole.
  const since = resumePoint(view, held);
  const keep = !epochChanged && since !== null && !joined.hasMore && joined.seq >= since;
  const base: RoomMessages = keep ? held : NO_MESSAGES;
  const merged = mergeMessages(base, joined.messages);

  let unread = epochChanged ? 0 : view.unread;
  // Only a resume brings news; the history of a first join is not unread.
  if (view.epoch !== null && !epochChanged && state.rooms.current !== joined.room) {
    for (const message of joined.messages) {
      if (message.seq > view.seq && base[message.seq] === undefined && message.from.id !== selfId) unread++;
    }
  }

  const next: RoomView = {
    ...view,
    epoch: joined.epoch,
    seq: joined.seq,
    stream: joined.seq,
    joined: true,
    unread,
    // After a plain resume our oldest message is still the oldest held, so
    // what we knew about older ones still holds; otherwise the server knows.
    hasMore: keep ? view.hasMore : joined.hasMore,
    loadingOlder: false,
    error: null,
  };
  return {
    rooms: withRoom(state.rooms, next),
    messages: withMessages(state, joined.room, merged),
    members: membersJoined(state.members, joined),
  };
}

/** A live message. Ours too: on another tab of the same user it is how a shared outbox item ends. */
export function messageReceived(state: ChatState, message: Message, selfId: string | null): StatePatch {
  const view = state.rooms.byName.get(message.room);
  if (!view) return null;
  const held = state.messages.byRoom.get(message.room) ?? NO_MESSAGES;
  const own = message.from.id === selfId;
  const pending = own ? state.outbox.items.findIndex((item) => item.id === message.id && !item.change) : -1;
  const known = held[message.seq];
  const fresh = known === undefined;
  // A live frame may carry a newer state than the one held (`rev > seq`,
  // section 17): it replaces it.
  const newer = known !== undefined && revOf(message) > revOf(known);
  // The stream is read in order from the `joined` on: each frame moves it on.
  const stream = view.stream === null ? null : Math.max(view.stream, message.seq);
  if (!fresh && !newer && pending === -1 && stream === view.stream) return null;

  const patch: Partial<ChatState> = {};
  if (fresh || newer || stream !== view.stream) {
    const unread = fresh && !own && state.rooms.current !== message.room && message.seq > view.seq;
    patch.rooms = withRoom(state.rooms, {
      ...view,
      seq: Math.max(view.seq, message.seq),
      stream,
      unread: unread ? view.unread + 1 : view.unread,
    });
  }
  if (fresh || newer) patch.messages = withMessages(state, message.room, mergeMessages(held, [message]));
  if (fresh) {
    const typing = withoutTyping(state.typing, message.room, message.from.id);
    if (typing !== state.typing) patch.typing = typing;
  }
  if (pending !== -1) patch.outbox = outboxSlice(state.outbox.items.filter((_, i) => i !== pending));
  return patch;
}

/**
 * Our send was stored. The message is inserted at once from what we sent, so
 * the row never blinks between "sending" and the echo; the echo then finds
 * its seq taken and changes nothing.
 */
export function ackReceived(state: ChatState, ack: Ack, self: User | null): StatePatch {
  const item = state.outbox.items.find((candidate) => candidate.id === ack.id);
  if (!item) return null;
  const patch: Partial<ChatState> = {
    outbox: outboxSlice(state.outbox.items.filter((candidate) => candidate !== item)),
  };
  const view = state.rooms.byName.get(ack.room);
  const held = state.messages.byRoom.get(ack.room) ?? NO_MESSAGES;
  if (item.change) {
    // The change is stored; its `update` follows (with the new rev). Until
    // then the message shows it as it was shown pending, so it does not
    // flick back to its old state for a moment.
    const target = held[item.change.target];
    if (view && target) {
      const changed = applyChange(target, item, self?.id ?? null, ack.ts);
      patch.messages = withMessages(state, ack.room, { ...held, [target.seq]: changed });
    }
    return patch;
  }
  if (view && self) {
    const message: Message = {
      room: ack.room,
      seq: ack.seq,
      ts: ack.ts,
      id: ack.id,
      from: self,
      text: item.text,
    };
    if (item.replyTo) message.replyTo = item.replyTo;
    patch.messages = withMessages(state, ack.room, mergeMessages(held, [message]));
    patch.rooms = withRoom(state.rooms, { ...view, seq: Math.max(view.seq, ack.seq) });
  }
  return patch;
}

export function historyRequested(state: ChatState, room: string): StatePatch {
  const view = state.rooms.byName.get(room);
  if (!view || view.loadingOlder) return null;
  return { rooms: withRoom(state.rooms, { ...view, loadingOlder: true }) };
}

export function historyReceived(state: ChatState, page: HistoryPage): StatePatch {
  const view = state.rooms.byName.get(page.room);
  if (!view) return null;
  const held = state.messages.byRoom.get(page.room) ?? NO_MESSAGES;
  const newest = newestSeq(held);
  return {
    rooms: withRoom(state.rooms, {
      ...view,
      hasMore: page.hasMore,
      loadingOlder: false,
      seq: Math.max(view.seq, newest ?? 0),
    }),
    messages: withMessages(state, page.room, mergeMessages(held, page.messages)),
  };
}

/** An error that names a room (invalid_room, too_many_rooms, not_in_room…). */
export function roomFailed(state: ChatState, room: string, code: string): StatePatch {
  const view = state.rooms.byName.get(room);
  if (!view) return null;
  const joinFailed = code === 'invalid_room' || code === 'too_many_rooms';
  return {
    rooms: withRoom(state.rooms, {
      ...view,
      loadingOlder: false,
      error: joinFailed ? code : view.error,
      joined: joinFailed ? false : view.joined,
    }),
  };
}

/**
 * A room's join keeps being refused for now (`rate_limited`, retried after a
 * pause): the room says it is waiting, and its `joined` clears that.
 */
export function roomJoinSlow(state: ChatState, room: string): StatePatch {
  const view = state.rooms.byName.get(room);
  if (!view || view.joined || view.error === 'rate_limited') return null;
  return { rooms: withRoom(state.rooms, { ...view, error: 'rate_limited' }) };
}

/**
 * A member joined or left a small room. A big room's list is a page, not a
 * live record: the server sends it no presence, and one that raced the
 * `roster` saying the room became big changes nothing.
 */
export function presenceReceived(state: ChatState, presence: Presence): StatePatch {
  if (!state.rooms.byName.has(presence.room) || !isComplete(state.members, presence.room)) return null;
  const members = state.members.byRoom.get(presence.room) ?? [];
  const present = members.some((member) => member.id === presence.user.id);
  if (presence.state === 'joined') {
    // A rename shows up as the same id with a new name.
    const next = present
      ? members.map((member) => (member.id === presence.user.id ? presence.user : member))
      : [...members, presence.user];
    return { members: membersChanged(state.members, presence.room, next) };
  }
  if (!present) return null;
  return {
    members: membersChanged(
      state.members,
      presence.room,
      members.filter((member) => member.id !== presence.user.id),
    ),
    typing: withoutTyping(state.typing, presence.room, presence.user.id),
  };
}

export function typingReceived(
  state: ChatState,
  event: TypingEvent,
  selfId: string | null,
  until: number,
): StatePatch {
  // Our other tabs relay our own typing to us; it is never shown.
  if (event.user.id === selfId || !state.rooms.byName.has(event.room)) return null;
  const inRoom = state.typing.byRoom.get(event.room) ?? emptyMap<string, TypingEntry>();
  const entry: TypingEntry = { user: event.user, until };
  return {
    typing: { byRoom: withEntry(state.typing.byRoom, event.room, withEntry(inRoom, event.user.id, entry)) },
  };
}

/** Drops typing entries that ended at or before `now`. */
export function typingExpired(state: ChatState, now: number): StatePatch {
  let changed = false;
  const byRoom = new Map<string, ReadonlyMap<string, TypingEntry>>();
  for (const [room, users] of state.typing.byRoom) {
    const kept = new Map([...users].filter(([, entry]) => entry.until > now));
    if (kept.size === users.size) byRoom.set(room, users);
    else {
      changed = true;
      if (kept.size > 0) byRoom.set(room, kept);
    }
  }
  return changed ? { typing: { byRoom } } : null;
}

/** The earliest moment a typing entry ends, or null when nobody types. */
export function nextTypingExpiry(state: ChatState): number | null {
  let next: number | null = null;
  for (const users of state.typing.byRoom.values()) {
    for (const entry of users.values()) if (next === null || entry.until < next) next = entry.until;
  }
  return next;
}

/** The socket is gone: nothing is joined on it any more, typing is stale, and no answer is coming. */
export function connectionLost(state: ChatState): StatePatch {
  const byName = mapValues(state.rooms.byName, (view) =>
    view.joined || view.loadingOlder ? { ...view, joined: false, loadingOlder: false } : view,
  );
  const typingEmpty = state.typing.byRoom.size === 0;
  const members = memberPagesIdle(state.members);
  const directory = state.directory.loading ? { ...state.directory, loading: false } : state.directory;
  if (
    byName === state.rooms.byName &&
    typingEmpty &&
    members === state.members &&
    directory === state.directory
  ) {
    return null;
  }
  return {
    rooms: byName === state.rooms.byName ? state.rooms : { ...state.rooms, byName },
    typing: typingEmpty ? state.typing : { byRoom: emptyMap() },
    members,
    directory,
  };
}
