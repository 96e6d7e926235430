/**
 * Pure derivations from the state for the UI. The hooks memoise them on the
 * slices they read, so a view is rebuilt only when its inputs change.
 */
import type { Message, Reaction, ReplyRef, User } from '@tether/protocol';

import { applyChange } from './changes';

import { sortedMessages } from './messages';
import type { RoomMessages } from './messages';
import type { OutboxChange, OutboxItem, RoomView, RoomsSlice, TypingSlice } from './types';

export type MessageStatus = 'sent' | 'sending' | 'failed';

/** A reaction as a pill shows it: `mine` when we are among those who reacted. */
export interface ReactionView extends Reaction {
  mine: boolean;
}

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
  /** A tombstone: "Message deleted" in its place. */
  deleted: boolean;
  /** When last edited (ms), for "(edited)". */
  edited?: number;
  /** The message this one answers. */
  replyTo?: ReplyRef;
  reactions: readonly ReactionView[];
  /**
   * A change of ours waits in the outbox ('sending', shown applied) or was
   * refused ('failed'); `changeId` is its outbox id, for retry and discard.
   */
  change?: OutboxItem['state'];
  changeId?: string;
  changeKind?: OutboxChange['kind'];
  changeError?: string;
}

const NO_REACTIONS: readonly ReactionView[] = Object.freeze([]);

function reactionViews(reactions: Reaction[] | undefined, selfId: string | null): readonly ReactionView[] {
  if (!reactions || reactions.length === 0) return NO_REACTIONS;
  return reactions.map((r) => ({ ...r, mine: selfId !== null && r.users.includes(selfId) }));
}

// Views of stored messages are cached per message object, so rows of a long
// timeline keep their identity (and memoised components skip re-rendering)
// when a new message arrives.
const sentViews = new WeakMap<Message, MessageView>();

function sentView(message: Message, selfId: string | null): MessageView {
  const own = message.from.id === selfId;
  const cached = sentViews.get(message);
  if (cached?.own === own) return cached;
  const view = buildView(message, own, selfId);
  sentViews.set(message, view);
  return view;
}

function buildView(message: Message, own: boolean, selfId: string | null): MessageView {
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
    deleted: message.deleted === true,
    reactions: reactionViews(message.reactions, selfId),
  };
  if (message.edited !== undefined) view.edited = message.edited;
  if (message.replyTo) view.replyTo = message.replyTo;
  return view;
}

/**
 * A held message with our changes that wait in the outbox applied, oldest
 * first, as the server will apply them. A failed change is not applied: the
 * row shows what is stored, and that the change did not go through.
 */
function changedView(message: Message, changes: readonly OutboxItem[], self: User | null): MessageView {
  const selfId = self?.id ?? null;
  let shown = message;
  for (const item of changes)
    if (item.state === 'sending') shown = applyChange(shown, item, selfId, item.createdAt);
  const view = buildView(shown, message.from.id === selfId, selfId);
  const last = changes.find((item) => item.state === 'failed') ?? changes.at(-1);
  if (last) {
    view.change = last.state;
    view.changeId = last.id;
    if (last.change) view.changeKind = last.change.kind;
    if (last.error !== undefined) view.changeError = last.error;
  }
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
  const inRoom = outbox.filter((item) => item.room === room);
  const changes = new Map<number, OutboxItem[]>();
  for (const item of inRoom) {
    if (!item.change) continue;
    const list = changes.get(item.change.target);
    if (list) list.push(item);
    else changes.set(item.change.target, [item]);
  }
  const views = held
    ? sortedMessages(held).map((message) => {
        const pendingChanges = changes.get(message.seq);
        return pendingChanges ? changedView(message, pendingChanges, self) : sentView(message, selfId);
      })
    : [];
  const pending = inRoom.filter((item) => !item.change);
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
      deleted: false,
      reactions: NO_REACTIONS,
    };
    if (item.error !== undefined) view.error = item.error;
    if (item.replyTo) view.replyTo = item.replyTo;
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
