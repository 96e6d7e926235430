/**
 * Pure derivations from the state for the UI. The hooks memoise them on the
 * slices they read, so a view is rebuilt only when its inputs change.
 */
import type { Message, User } from '@tether/protocol';

import { sortedMessages } from './messages';
import type { RoomMessages } from './messages';
import type { OutboxItem, RoomView, RoomsSlice, TypingSlice } from './types';

export type MessageStatus = 'sent' | 'sending' | 'failed';

/** One row of a room's timeline: a stored message, or one of ours still in the outbox. */
export interface MessageView {
  /**
   * Stable from 'sending' to 'sent' (the sender's id and the message id), so a
   * row keeps its React identity and measured size when its message is acked.
   */
  key: string;
  id: string;
  room: string;
  /** null while the message is in the outbox. */
  seq: number | null;
  /** The server's time, or when it was written while still in the outbox. */
  ts: number;
  from: User;
  text: string;
  own: boolean;
  status: MessageStatus;
  /** For 'failed': the server's error code, e.g. 'text_too_long'. */
  error?: string;
}

// Views of stored messages are cached per message object, so rows of a long
// timeline keep their identity (and memoised components skip re-rendering)
// when a new message arrives.
const sentViews = new WeakMap<Message, MessageView>();

function sentView(message: Message, selfId: string | null): MessageView {
  const own = message.from.id === selfId;
  const cached = sentViews.get(message);
  if (cached?.own === own) return cached;
  const view: MessageView = {
    key: `${message.from.id}/${message.id}`,
    id: message.id,
    room: message.room,
    seq: message.seq,
    ts: message.ts,
    from: message.from,
    text: message.text,
    own,
    status: 'sent',
  };
  sentViews.set(message, view);
  return view;
}

const NOBODY: User = { id: '', name: '' };

/** The timeline of one room: stored messages by seq, then our unsent ones, oldest first. */
export function messageViews(
  held: RoomMessages | undefined,
  outbox: readonly OutboxItem[],
  room: string,
  self: User | null,
): MessageView[] {
  const selfId = self?.id ?? null;
  const views = held ? sortedMessages(held).map((message) => sentView(message, selfId)) : [];
  const pending = outbox.filter((item) => item.room === room);
  if (pending.length === 0) return views;
  const delivered = new Set(views.filter((view) => view.own).map((view) => view.id));
  for (const item of pending) {
    if (delivered.has(item.id)) continue;
    const view: MessageView = {
      key: `${selfId ?? ''}/${item.id}`,
      id: item.id,
      room: item.room,
      seq: null,
      ts: item.createdAt,
      from: self ?? NOBODY,
      text: item.text,
      own: true,
      status: item.state,
    };
    if (item.error !== undefined) view.error = item.error;
    views.push(view);
  }
  return views;
}

/** The rooms in the order they were joined. */
export function roomViews(order: readonly string[], byName: RoomsSlice['byName']): RoomView[] {
  return order.flatMap((name) => {
    const view = byName.get(name);
    return view ? [view] : [];
  });
}

/** Who is typing in a room now, without ourselves, oldest signal first. */
export function typingNames(typing: TypingSlice, room: string, selfId: string | null): string[] {
  const users = typing.byRoom.get(room);
  if (!users) return [];
  return [...users.values()]
    .filter((entry) => entry.user.id !== selfId)
    .sort((a, b) => a.until - b.until)
    .map((entry) => entry.user.name);
}
