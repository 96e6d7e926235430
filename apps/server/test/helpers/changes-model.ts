/**
 * What a room must hold after a run of sends and changes: the acked changes
 * replayed in seq order on the acked messages. Used by the crash test (and
 * any test that mixes changes) to check that every acked change is in the
 * stored state exactly once.
 */
import type { Message } from '@tether/protocol';

import type { ChangeFrame, ReconnectingClient } from './reconnecting.js';

export interface ModelMessage {
  text: string;
  deleted: boolean;
  /** emoji → user ids. */
  reactions: Map<string, Set<string>>;
}

/** `room:seq` → the state the acked requests of `clients` leave each acked message in. */
export function expectedStates(clients: readonly ReconnectingClient[]): Map<string, ModelMessage> {
  const states = new Map<string, ModelMessage>();
  const changes: { seq: number; userId: string; frame: ChangeFrame }[] = [];
  for (const c of clients) {
    for (const [id, ack] of c.acked) {
      const sent = c.sent.get(id);
      if (sent)
        states.set(`${ack.room}:${ack.seq}`, { text: sent.text, deleted: false, reactions: new Map() });
      const frame = c.changes.get(id);
      if (frame) changes.push({ seq: ack.seq, userId: c.userId ?? '', frame });
    }
  }
  // A no-op's ack carries the rev it met: replayed after that event, it changes nothing either.
  changes.sort((a, b) => a.seq - b.seq);
  for (const { userId, frame } of changes) {
    const state = states.get(`${frame.room}:${frame.target}`);
    if (!state || state.deleted) continue;
    if (frame.type === 'edit') state.text = frame.text ?? '';
    else if (frame.type === 'delete') {
      state.deleted = true;
      state.text = '';
      state.reactions.clear();
    } else {
      const emoji = frame.emoji ?? '';
      const users = state.reactions.get(emoji) ?? new Set<string>();
      if (frame.on === true) users.add(userId);
      else users.delete(userId);
      if (users.size > 0) state.reactions.set(emoji, users);
      else state.reactions.delete(emoji);
    }
  }
  return states;
}

/** Where a stored message differs from its expected state, in words; empty when it does not. */
export function differences(stored: Message, expected: ModelMessage): string[] {
  const problems: string[] = [];
  const at = `${stored.room}:${stored.seq}`;
  if (stored.text !== expected.text)
    problems.push(`${at}: text ${JSON.stringify(stored.text)}, expected ${JSON.stringify(expected.text)}`);
  if ((stored.deleted === true) !== expected.deleted)
    problems.push(`${at}: deleted ${stored.deleted === true}`);
  const reactions = new Map((stored.reactions ?? []).map((r) => [r.emoji, [...r.users].sort()]));
  const wanted = new Map([...expected.reactions].map(([emoji, users]) => [emoji, [...users].sort()]));
  if (JSON.stringify([...reactions].sort()) !== JSON.stringify([...wanted].sort())) {
    problems.push(
      `${at}: reactions ${JSON.stringify([...reactions])}, expected ${JSON.stringify([...wanted])}`,
    );
  }
  for (const r of stored.reactions ?? [])
    if (r.count !== r.users.length) problems.push(`${at}: count of ${r.emoji}`);
  return problems;
}
