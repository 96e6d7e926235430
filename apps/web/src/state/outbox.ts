/**
 * The outbox as a list of items, oldest first, with pure operations. Every
 * function returns a new array when something changed and the same one when
 * nothing did, so store subscribers can compare references.
 */
import type { ReplyRef } from '@tether/protocol';

import { OUTBOX_LIMIT } from './types';
import type { OutboxChange, OutboxItem } from './types';

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
  const { error: _error, ...rest } = item;
  next[index] = { ...rest, state: 'sending' };
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
    (value.error === undefined || typeof value.error === 'string') &&
    (value.change === undefined || parseChange(value.change) !== null) &&
    (value.replyTo === undefined || parseReplyRef(value.replyTo) !== null)
  );
}

function isSeq(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}

/** A stored change, rebuilt field by field (nothing else in storage comes along). */
function parseChange(value: unknown): OutboxChange | null {
  if (!isRecord(value) || !isSeq(value.target)) return null;
  const target = value.target;
  switch (value.kind) {
    case 'edit':
    case 'delete':
      return { kind: value.kind, target };
    case 'react':
      if (typeof value.emoji !== 'string' || typeof value.on !== 'boolean') return null;
      return { kind: 'react', target, emoji: value.emoji, on: value.on };
    default:
      return null;
  }
}

function parseReplyRef(value: unknown): ReplyRef | null {
  if (!isRecord(value) || !isSeq(value.seq) || typeof value.text !== 'string') return null;
  const from = value.from;
  if (!isRecord(from) || typeof from.id !== 'string' || typeof from.name !== 'string') return null;
  return { seq: value.seq, from: { id: from.id, name: from.name }, text: value.text };
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
    const change = parseChange(candidate.change);
    if (change) item.change = change;
    const replyTo = parseReplyRef(candidate.replyTo);
    if (replyTo) item.replyTo = replyTo;
    items.push(item);
  }
  items.sort((a, b) => a.createdAt - b.createdAt);
  return items.slice(0, limit);
}
