/**
 * Pure helpers over one room's messages, held as a record keyed by `seq`.
 * Keying by seq is what makes every merge idempotent: a resume, a history page,
 * an ack and the echoed `message` of the same send all land on the same key.
 */
import type { Message } from '@tether/protocol';

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
 */
export function mergeMessages(held: RoomMessages, incoming: readonly Message[]): RoomMessages {
  let next: Record<number, Message> | null = null;
  for (const message of incoming) {
    const current = next?.[message.seq] ?? held[message.seq];
    if (current !== undefined && revOf(current) >= revOf(message)) continue;
    next ??= { ...held };
    next[message.seq] = message;
  }
  return next ?? held;
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
