import type { User } from '@tether/protocol';

/**
 * One row of the message list: a stored message, or one of ours still in the
 * outbox. The store's `MessageView` has this shape, so the hooks' arrays go
 * in as they are (no per-render mapping that would break row memoisation).
 */
export interface TimelineEntry {
  /**
   * Stable across the outbox → acked transition (sender id and message id),
   * so a sent message keeps its row instead of being replaced by a new one.
   */
  key: string;
  /** The client-chosen message id (what `retry` and `discard` take). */
  id: string;
  from: User;
  text: string;
  ts: number;
  /** Written by the signed-in user; derived from `from.id` when absent. */
  own?: boolean;
  status: 'sent' | 'sending' | 'failed';
  /** For `failed`: the server's error code. */
  error?: string;
}

/** What `ChatClient.send` answers. */
export type SendResult =
  { ok: true; id: string } | { ok: false; reason: 'full' | 'empty' | 'too_long' | 'not_in_room' };

/** What `ChatClient.join` answers. */
export type JoinResult = { ok: true } | { ok: false; reason: 'invalid_room' | 'too_many_rooms' };
