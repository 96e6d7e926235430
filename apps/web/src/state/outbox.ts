/**
 * The outbox as a list of items, oldest first, with pure operations. Every
 * function returns a new array when something changed and the same one when
 * nothing did, so store subscribers can compare references.
 */
import { OUTBOX_LIMIT } from './types';
import type { OutboxItem } from './types';

/** `items` plus `item`, or null when the outbox is full. */
export function enqueue(
  items: readonly OutboxItem[],
  item: OutboxItem,
  limit: number = OUTBOX_LIMIT,
): OutboxItem[] | null {
  return items.length >= limit ? null : [...items, item];
}

export function removeItem(items: OutboxItem[], id: string): OutboxItem[] {
  const next = items.filter((item) => item.id !== id);
  return next.length === items.length ? items : next;
}

export function markFailed(items: OutboxItem[], id: string, error: string): OutboxItem[] {
  return items.map((item) => (item.id === id ? { ...item, state: 'failed', error } : item));
}

export function markSending(items: OutboxItem[], id: string): OutboxItem[] {
  const index = items.findIndex((item) => item.id === id);
  const item = items[index];
  if (!item || item.state === 'sending') return items;
  const next = [...items];
  next[index] = {
    id: item.id,
    room: item.room,
    text: item.text,
    createdAt: item.createdAt,
    state: 'sending',
  };
  return next;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isOutboxItem(value: unknown): value is OutboxItem {
  return (
    isRecord(value) &&
    typeof value.id === 'string' &&
    value.id.length > 0 &&
    typeof value.room === 'string' &&
    typeof value.text === 'string' &&
    typeof value.createdAt === 'number' &&
    (value.state === 'sending' || value.state === 'failed') &&
    (value.error === undefined || typeof value.error === 'string')
  );
}

/**
 * Items read back from storage: whatever is malformed is skipped rather than
 * failing the whole outbox, an id appears once, and the cap holds.
 */
export function parseOutbox(value: unknown, limit: number = OUTBOX_LIMIT): OutboxItem[] {
  if (!Array.isArray(value)) return [];
  const seen = new Set<string>();
  const items: OutboxItem[] = [];
  for (const candidate of value) {
    if (!isOutboxItem(candidate) || seen.has(candidate.id)) continue;
    seen.add(candidate.id);
    const item: OutboxItem = {
      id: candidate.id,
      room: candidate.room,
      text: candidate.text,
      createdAt: candidate.createdAt,
      state: candidate.state,
    };
    if (candidate.error !== undefined) item.error = candidate.error;
    items.push(item);
  }
  items.sort((a, b) => a.createdAt - b.createdAt);
  return items.slice(0, limit);
}
