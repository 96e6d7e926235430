/**
 * What a room must hold after a run of sends and changes: the acked changes
 * replayed in seq order on the acked messages. Used by the crash test (and
 * any test that mixes changes) to check that every acked change is in the
 * stored state exactly once; `replayRoom` is the whole model (rev, edit
 * time, replies, reactions in order, no-ops, which event each seq is) that
 * the fuzzer (test/fuzz.test.ts) holds `history` to.
 */
import { LIMITS, type Message } from '@tether/protocol';

import type { ChangeFrame } from './reconnecting.js';

/** What one user asked for, by id, and the first ack of each (a ReconnectingClient is one). */
export interface ModelClient {
  readonly userId: string | undefined;
  /** Sends by id: the first one sent under that id. */
  readonly sent: ReadonlyMap<string, { room: string; text: string; replyTo?: number | undefined }>;
  /** Edits, deletes and reacts by id: the first one sent under that id. */
  readonly changes: ReadonlyMap<string, ChangeFrame>;
  /** The ack of each id, the first one received (`ts` where the client kept it). */
  readonly acked: ReadonlyMap<string, { room: string; seq: number; ts?: number | undefined }>;
}

export interface ModelMessage {
  text: string;
  deleted: boolean;
  /** emoji → user ids. */
  reactions: Map<string, Set<string>>;
}

/** `room:seq` → the state the acked requests of `clients` leave each acked message in. */
export function expectedStates(clients: readonly ModelClient[]): Map<string, ModelMessage> {
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

/** A message as the acked requests leave it: every field `history` shows. */
export interface ExpectedMessage {
  room: string;
  seq: number;
  author: string;
  text: string;
  deleted: boolean;
  /** The seq of the last event that changed it (its own seq when none did). */
  rev: number;
  /** The ack `ts` of its last edit; none once deleted. */
  edited: number | undefined;
  replyTo: number | undefined;
  /** Each emoji in the order first used among those that remain, its users earliest first. */
  reactions: { emoji: string; users: string[] }[];
}

/** What `replayRoom` finds. */
export interface Replay {
  /** `room:seq` → the message. */
  messages: Map<string, ExpectedMessage>;
  /** Room → seq → the request that made that event: `send`, `edit`, `delete`, `react on`, `react off`. */
  events: Map<string, Map<number, string>>;
  /** `room:seq` → `user/id` of the request that made that event. */
  by: Map<string, string>;
  /** Acked requests that changed nothing (their ack carries the rev they met), by what they were. */
  noops: Map<string, number>;
  /** Acks the rules do not allow: a change by a non-author, of a tombstone, two events at one seq, an event no request made. */
  problems: string[];
}

interface Change {
  user: string;
  id: string;
  frame: ChangeFrame;
  seq: number;
  ts: number;
}

interface State {
  message: ExpectedMessage;
  /** Reactions present, in event order. */
  marks: { emoji: string; user: string; at: number }[];
}

const has = (state: State, emoji: string, user: string): boolean =>
  state.marks.some((m) => m.emoji === emoji && m.user === user);

/** Whether `c` changes `state` (allowed or not: `disallowed` says). */
function effective(c: Change, state: State): boolean {
  const m = state.message;
  if (m.deleted) return false;
  switch (c.frame.type) {
    case 'edit':
      return c.frame.text !== m.text;
    case 'delete':
      return true;
    case 'react':
      return c.frame.on === true
        ? !has(state, c.frame.emoji ?? '', c.user)
        : has(state, c.frame.emoji ?? '', c.user);
  }
}

/** Why an ack for `c` breaks the rules on `state`, or undefined: only the author edits and deletes; a tombstone takes no edit or react. */
function disallowed(c: Change, state: State): string | undefined {
  const m = state.message;
  if ((c.frame.type === 'edit' || c.frame.type === 'delete') && c.user !== m.author)
    return `an ${c.frame.type} by ${c.user} of ${m.author}'s message (forbidden)`;
  if (c.frame.type !== 'delete' && m.deleted) return `a ${c.frame.type} of a tombstone (not_found)`;
  return undefined;
}

function apply(c: Change, state: State): void {
  const m = state.message;
  m.rev = c.seq;
  switch (c.frame.type) {
    case 'edit':
      m.text = c.frame.text ?? '';
      m.edited = c.ts;
      return;
    case 'delete':
      m.deleted = true;
      m.text = '';
      m.edited = undefined;
      state.marks = [];
      return;
    case 'react': {
      const emoji = c.frame.emoji ?? '';
      if (c.frame.on === true) state.marks.push({ emoji, user: c.user, at: c.seq });
      else state.marks = state.marks.filter((x) => x.emoji !== emoji || x.user !== c.user);
    }
  }
}

/** What a no-op was, in words. */
function noopKind(c: Change, state: State): string {
  if (c.frame.type === 'delete') return state.message.deleted ? 'delete of a tombstone' : 'delete';
  if (c.frame.type === 'edit') return 'edit to the same text';
  return c.frame.on === true ? 'react on, already there' : 'react off, not there';
}

const kindOf = (frame: ChangeFrame): string =>
  frame.type === 'react' ? `react ${frame.on === true ? 'on' : 'off'}` : frame.type;

/**
 * Replays every acked request of `clients` in seq order. An event's seq is
 * the ack of exactly one request; the other requests acked with that seq
 * (resends under other ids, a reaction already there, the same text again)
 * are no-ops that met the message at that rev, and must change nothing
 * there. Which of a seq's requests made the event is the one that changes
 * the state before it (the earliest `ts` if several would, all alike).
 */
export function replayRoom(clients: readonly ModelClient[]): Replay {
  const states = new Map<string, State>();
  const events = new Map<string, Map<number, string>>();
  const problems: string[] = [];
  const by = new Map<string, string>();
  const eventsOf = (room: string) => {
    let e = events.get(room);
    if (!e) events.set(room, (e = new Map<number, string>()));
    return e;
  };
  const groups = new Map<string, Change[]>();
  for (const c of clients) {
    const user = c.userId ?? '?';
    for (const [id, ack] of c.acked) {
      const sent = c.sent.get(id);
      const frame = c.changes.get(id);
      const at = `${ack.room}:${ack.seq}`;
      if (sent) {
        if (states.has(at)) problems.push(`${at} acked for two sends (${user}/${id} one of them)`);
        states.set(at, {
          message: {
            room: ack.room,
            seq: ack.seq,
            author: user,
            text: sent.text,
            deleted: false,
            rev: ack.seq,
            edited: undefined,
            replyTo: sent.replyTo,
            reactions: [],
          },
          marks: [],
        });
        eventsOf(ack.room).set(ack.seq, 'send');
        by.set(at, `${user}/${id}`);
      } else if (frame) {
        if (frame.room !== ack.room)
          problems.push(`${user}/${id}, a change in ${frame.room}, acked in ${ack.room}`);
        const group = groups.get(at) ?? [];
        group.push({ user, id, frame, seq: ack.seq, ts: ack.ts ?? 0 });
        groups.set(at, group);
      }
    }
  }
  const noops = new Map<string, number>();
  const ordered = [...groups.values()].sort((a, b) => a[0]!.seq - b[0]!.seq);
  for (const group of ordered) {
    const { seq } = group[0]!;
    const room = group[0]!.frame.room;
    const at = `${room}:${seq}`;
    const targets = new Set(group.map((c) => c.frame.target));
    if (targets.size > 1) {
      problems.push(`${at} acks changes of ${[...targets].join(' and ')}: one rev, two messages`);
      continue;
    }
    const state = states.get(`${room}:${group[0]!.frame.target}`);
    if (!state) {
      problems.push(`${at} acks a change of ${room}:${group[0]!.frame.target}, no acked message`);
      continue;
    }
    let event: Change | undefined;
    if (eventsOf(room).get(seq) !== 'send') {
      // An event: exactly one of these requests made it.
      const candidates = group
        .filter((c) => disallowed(c, state) === undefined && effective(c, state))
        .sort((a, b) => a.ts - b.ts);
      event = candidates[0];
      if (!event) {
        problems.push(
          `${at}: no request acked with this seq changes ${room}:${state.message.seq} (${group.map((c) => `${c.user}/${c.id} ${kindOf(c.frame)}`).join(', ')})`,
        );
        continue;
      }
      if (eventsOf(room).has(seq)) problems.push(`${at}: two events`);
      if (state.message.seq >= seq) problems.push(`${at} changes ${room}:${state.message.seq}, not older`);
      apply(event, state);
      eventsOf(room).set(seq, kindOf(event.frame));
      by.set(at, `${event.user}/${event.id}`);
    } else if (state.message.seq !== seq) {
      problems.push(`${at} is a message, but acks a change of ${room}:${state.message.seq}`);
      continue;
    }
    for (const c of group) {
      if (c === event) continue;
      const what = noopKind(c, state);
      noops.set(what, (noops.get(what) ?? 0) + 1);
      const why = disallowed(c, state);
      if (why) problems.push(`${c.user}/${c.id} acked at ${at}: ${why}`);
      else if (effective(c, state))
        problems.push(
          `${c.user}/${c.id} acked at ${at} as a no-op, but it changes the message (${kindOf(c.frame)})`,
        );
    }
  }
  const messages = new Map<string, ExpectedMessage>();
  for (const [at, { message, marks }] of states) {
    const byEmoji = new Map<string, string[]>();
    for (const mark of [...marks].sort((a, b) => a.at - b.at)) {
      const users = byEmoji.get(mark.emoji) ?? [];
      users.push(mark.user);
      byEmoji.set(mark.emoji, users);
    }
    message.reactions = [...byEmoji].map(([emoji, users]) => ({ emoji, users }));
    messages.set(at, message);
  }
  return { messages, events, by, noops, problems };
}

/** Where `got` (as `history` shows it) differs from the model, in words; empty when it does not. */
export function differsFromModel(got: Message, expected: ExpectedMessage): string[] {
  const at = `${got.room}:${got.seq}`;
  const problems: string[] = [];
  const field = (name: string, value: unknown, wanted: unknown) => {
    if (JSON.stringify(value) !== JSON.stringify(wanted))
      problems.push(`${at}: ${name} ${JSON.stringify(value)}, the model says ${JSON.stringify(wanted)}`);
  };
  field('from', got.from.id, expected.author);
  field('text', got.text, expected.text);
  field('deleted', got.deleted === true, expected.deleted);
  field('rev', got.rev ?? got.seq, expected.rev);
  field('edited', got.edited, expected.edited);
  field('replyTo', got.replyTo?.seq, expected.replyTo);
  field(
    'reactions',
    (got.reactions ?? []).map(({ emoji, count, users }) => ({ emoji, count, users })),
    expected.reactions.map(({ emoji, users }) => ({
      emoji,
      count: users.length,
      users: users.slice(0, LIMITS.MAX_REACTION_USERS),
    })),
  );
  return problems;
}
