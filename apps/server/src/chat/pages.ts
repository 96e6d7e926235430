/**
 * Answers that list things are bounded in bytes as well as in count, so no
 * data (4,000 escaped control characters a message, 70,000 rooms) can make
 * an answer big enough to cut off the client that asked for it.
 */
import type { Message } from '@tether/protocol';

import type { MessagePage } from './ports.js';

/**
 * At most the bytes `message` takes as JSON: every UTF-16 unit of its strings
 * costs at most 6 bytes (`\u001f`), and the rest of the object well under
 * 120. Cheap, so a page of ordinary messages never needs the exact count.
 */
function bytesAtMost(message: Message): number {
  const { room, id, from, text } = message;
  return 120 + 6 * (room.length + id.length + from.id.length + from.name.length + text.length);
}

/**
 * The newest messages of `page` (ascending) that fit in `budget` bytes of
 * JSON, at least one. When messages are left out, `hasMore` says so: older
 * messages exist before the first one kept.
 */
export function fitMessages(page: MessagePage, budget: number): MessagePage {
  const { messages } = page;
  let estimate = 0;
  for (const message of messages) estimate += bytesAtMost(message);
  if (estimate <= budget) return page;
  let used = 0;
  let first = messages.length;
  while (first > 0) {
    const size = Buffer.byteLength(JSON.stringify(messages[first - 1]));
    if (used + size > budget && first < messages.length) break;
    used += size;
    first--;
  }
  return first === 0 ? page : { messages: messages.slice(first), hasMore: true };
}

/** The leading items of `items` that fit in `budget` bytes of JSON, at least one, and whether any were left out. */
export function fitItems<T>(items: readonly T[], budget: number): { items: T[]; cut: boolean } {
  let used = 0;
  let count = 0;
  for (const item of items) {
    const size = Buffer.byteLength(JSON.stringify(item));
    if (used + size > budget && count > 0) break;
    used += size;
    count++;
  }
  return { items: items.slice(0, count), cut: count < items.length };
}
