/** People and server frames for tests of the client and its socket. */
import type { Joined, Message, User, Welcome } from '@tether/protocol';

export const alice: User = { id: 'u_alice', name: 'alice' };
export const bob: User = { id: 'u_bob', name: 'bob' };
/** The server's default heartbeat, as `welcome` announces it. */
export const HEARTBEAT = { intervalMs: 25_000, timeoutMs: 10_000 };
/** Longer than any backoff delay. */
export const RECONNECT_WAIT = 10_000;

export function message(room: string, seq: number, from: User = bob, text = `${room} #${seq}`): Message {
  return { room, seq, ts: 1_700_000_000_000 + seq, id: `${from.id}_${seq}`, from, text };
}

export function range(room: string, first: number, last: number, from: User = bob): Message[] {
  const messages: Message[] = [];
  for (let seq = first; seq <= last; seq++) messages.push(message(room, seq, from));
  return messages;
}

/** A welcome as a server from before `limits` sends it, unless `extra` adds them. */
export function welcomeFrame(user: User = alice, token = 't_alice', extra: Partial<Welcome> = {}): Welcome {
  return { type: 'welcome', v: 1, user, token, heartbeat: HEARTBEAT, ...extra };
}

export function joinedFrame(room: string, messages: Message[] = [], options: Partial<Joined> = {}): Joined {
  return {
    type: 'joined',
    room,
    epoch: 'e1',
    seq: messages.at(-1)?.seq ?? 0,
    members: [alice, bob],
    messages,
    hasMore: false,
    ...options,
  };
}
