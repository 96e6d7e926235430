/**
 * Changes of messages (docs/protocol.md section 17): the `update` frame, the
 * resume point they move, and how a change waiting in the outbox shows on
 * its message. Pure, like the other reducers.
 */
import type { Message, Reaction, Update } from '@tether/protocol';

import { withEntry } from './maps';
import { NO_MESSAGES, contiguousEnd, mergeMessages, revOf } from './messages';
import type { RoomMessages } from './messages';
import type { ChatState, OutboxItem, RoomView, StatePatch } from './types';

/**
 * The `since` of a room's next join: where its stream was read up to. Null
 * without messages held: a resume would add to nothing, and the room's
 * latest messages are what it needs. A room stored before `stream` existed
 * resumes from its newest gap-free message, as it did then.
 */
export function resumePoint(view: RoomView, held: RoomMessages): number | null {
  const end = contiguousEnd(held);
  if (end === null) return null;
  return view.stream ?? end;
}

/**
 * A message changed. The held copy is replaced only by a newer state (a
 * higher rev): an `update` can carry a state newer than its own seq, and one
 * that comes late must not undo it. A message not held is not fetched: it
 * will come in its current state with the page that holds it.
 */
export function updateReceived(state: ChatState, update: Update): StatePatch {
  const view = state.rooms.byName.get(update.room);
  if (!view || update.message.room !== update.room) return null;
  const held = state.messages.byRoom.get(update.room) ?? NO_MESSAGES;
  const known = held[update.message.seq];
  const replaces = known !== undefined && revOf(update.message) > revOf(known);
  const stream = view.stream === null ? null : Math.max(view.stream, update.seq);
  const seq = Math.max(view.seq, update.seq);
  if (!replaces && stream === view.stream && seq === view.seq) return null;
  const patch: Partial<ChatState> = {};
  if (stream !== view.stream || seq !== view.seq) {
    patch.rooms = {
      ...state.rooms,
      byName: withEntry(state.rooms.byName, view.name, { ...view, seq, stream }),
    };
  }
  if (replaces) {
    const messages = mergeMessages(held, [update.message]);
    patch.messages = { byRoom: withEntry(state.messages.byRoom, update.room, messages) };
  }
  return patch;
}

/** `reactions` with `userId`'s reaction `emoji` added or taken away, as the server would. */
export function toggleReaction(
  reactions: Reaction[] | undefined,
  emoji: string,
  userId: string,
  on: boolean,
): Reaction[] | undefined {
  const list = reactions ?? [];
  const index = list.findIndex((r) => r.emoji === emoji);
  const current = list[index];
  if (on) {
    if (current?.users.includes(userId)) return reactions;
    if (!current) return [...list, { emoji, count: 1, users: [userId] }];
    const next = [...list];
    next[index] = { emoji, count: current.count + 1, users: [...current.users, userId] };
    return next;
  }
  if (!current?.users.includes(userId)) return reactions;
  const next = [...list];
  if (current.count <= 1) next.splice(index, 1);
  else next[index] = { emoji, count: current.count - 1, users: current.users.filter((u) => u !== userId) };
  return next.length > 0 ? next : undefined;
}

/**
 * The message with a change of ours applied, as the server will store it:
 * what the row shows while the change waits in the outbox, and from its ack
 * until its `update` comes. `rev` stays, so the `update` replaces it.
 */
export function applyChange(message: Message, item: OutboxItem, selfId: string | null, at: number): Message {
  const change = item.change;
  if (!change || message.deleted) return message;
  switch (change.kind) {
    case 'edit':
      if (message.text === item.text) return message;
      return { ...message, text: item.text, edited: at };
    case 'delete': {
      const { reactions: _reactions, edited: _edited, ...rest } = message;
      return { ...rest, text: '', deleted: true };
    }
    case 'react': {
      if (selfId === null) return message;
      const reactions = toggleReaction(message.reactions, change.emoji, selfId, change.on);
      const { reactions: _old, ...rest } = message;
      return reactions ? { ...rest, reactions } : rest;
    }
  }
}
