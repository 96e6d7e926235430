/**
 * Pure helpers over one room's messages, held as a record keyed by `seq`.
 * Keying by seq is what makes every merge idempotent: a resume, a history page,
 * an ack and the echoed `message` of the same send all land on the same key.
 */
import type { Message, ReplyRef } from '@tether/protocol';
import { replySnippet } from '@tether/protocol/rules';

export type RoomMessages = Readonly<Record<number, Message>>;

export const NO_MESSAGES: RoomMessages = Object.freeze({});

/**
 * The seq of the last event that changed the message: an older server sends
 * no `rev`, and its messages never change (docs/protocol.md, "Message, extended").
 */
export function revOf(message: Message): number {
  return message.rev ?? message.seq;
}

/**
 * `held` plus every message of `incoming` whose seq is not held yet, or held
 * in an older state (a lower `rev`: a resume or a history page brings
 * messages as they are now). Returns `held` itself when nothing is new, so
 * subscribers that compare references do not re-render; a message replaced
 * is a new object, the others keep theirs (one row re-renders, not the list).
 *
 * A reply's `replyTo` is derived from the message it answers (its author and
 * the start of its text, `""` once deleted): where that message is held, the
 * reply shows it as it is now. So an edit or a delete of a message reaches
 * the replies to it (only their rows re-render), and a reply that was taken
 * just before its original changed does not keep the older text.
 */
export function mergeMessages(held: RoomMessages, incoming: readonly Message[]): RoomMessages {
  let next: Record<number, Message> | null = null;
  // Whether a held message changed or an older one arrived: replies held may quote it.
  let requote = false;
  for (const message of incoming) {
    const current = next?.[message.seq] ?? held[message.seq];
    if (current !== undefined && revOf(current) >= revOf(message)) continue;
    next ??= { ...held };
    next[message.seq] = message;
    // A live message is the newest and nothing quotes it yet; a page, a
    // resume or a message before one held may be quoted by replies held.
    if (current !== undefined || incoming.length > 1 || held[message.seq + 1] !== undefined) requote = true;
  }
  if (next === null) return held;
  if (requote) {
    for (const message of Object.values(next)) requoted(next, message);
  } else {
    for (const message of incoming) if (next[message.seq] === message) requoted(next, message);
  }
  return next;
}

/** What a reply to `target` quotes of it (docs/protocol.md, "Message, extended"). */
function quoteOf(target: Message): ReplyRef {
  return { seq: target.seq, from: target.from, text: target.deleted ? '' : replySnippet(target.text) };
}

/** Replaces `message` in `messages` when it is a reply whose quote differs from its held original. */
function requoted(messages: Record<number, Message>, message: Message): void {
  const ref = message.replyTo;
  if (!ref) return;
  const target = messages[ref.seq];
  if (!target) return;
  const quote = quoteOf(target);
  if (quote.text === ref.text && quote.from.id === ref.from.id && quote.from.name === ref.from.name) return;
  messages[message.seq] = { ...message, replyTo: quote };
}

/** The messages in ascending seq. */
export function sortedMessages(held: RoomMessages): Message[] {
  // Integer keys already enumerate in ascending order; the sort keeps that an
  // explicit guarantee and costs O(n) on sorted input.
  return Object.values(held).sort((a, b) => a.seq - b.seq);
}

export function oldestSeq(held: RoomMessages): number | null {
  let oldest: number | null = null;
  for (const key of Object.keys(held)) {
    const seq = Number(key);
    if (oldest === null || seq < oldest) oldest = seq;
  }
  return oldest;
}

export function newestSeq(held: RoomMessages): number | null {
  let newest: number | null = null;
  for (const key of Object.keys(held)) {
    const seq = Number(key);
    if (newest === null || seq > newest) newest = seq;
  }
  return newest;
}

/**
 * The highest seq up to which we hold every message from our oldest one on:
 * the `since` to resume with. Not simply the newest: an `ack` inserts our own
 * message at once, possibly before an earlier message of someone else has
 * arrived, and resuming after the ack's seq would skip that earlier one.
 */
export function contiguousEnd(held: RoomMessages): number | null {
  const oldest = oldestSeq(held);
  if (oldest === null) return null;
  let end = oldest;
  while (held[end + 1] !== undefined) end++;
  return end;
}

/** The newest `limit` messages, ascending. */
export function latestMessages(held: RoomMessages, limit: number): Message[] {
  const all = sortedMessages(held);
  return all.length > limit ? all.slice(all.length - limit) : all;
}
