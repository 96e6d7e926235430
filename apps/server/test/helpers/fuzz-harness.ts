/**
 * The fuzz properties of test/fuzz.test.ts: what they share (the chat's
 * settings for random traffic, a store and a membership directory that
 * answer a few event-loop turns late as ones across a network would,
 * settling, the turn model, the decoding of a server frame), and the
 * changes property's clients, actions, run and checks (`runChanges`).
 */
import { setTimeout as sleep } from 'node:timers/promises';

import {
  ERROR_CODES,
  FEATURES,
  LIMITS,
  checkEmoji,
  checkText,
  parseServerMessage,
  replySnippet,
  type Message,
  type ServerMessage,
  type User,
} from '@tether/protocol';
import fc from 'fast-check';
import { pino } from 'pino';

import { ChatService } from '../../src/chat/service.js';
import type {
  Chat,
  ChatSettings,
  ChatStore,
  ConnectionSession,
  Frame,
  MembershipDirectory,
  Peer,
} from '../../src/chat/ports.js';
import { loadConfig } from '../../src/config.js';
import { LocalBus } from '../../src/local/bus.js';
import { LocalMembership } from '../../src/local/membership.js';
import { createMetrics } from '../../src/metrics.js';
import { SqliteStore } from '../../src/sqlite/store.js';
import { encodeFrame, encodeJoinedFrame, isWireFrame } from '../../src/ws/frame.js';
import { differsFromModel, replayRoom, type ModelClient } from './changes-model.js';
import { interceptStore } from './intercepted-store.js';
import { prng } from './random.js';
import type { ChangeFrame, ChangeRequest } from './reconnecting.js';

/**
 * The defaults, with a hello timeout that never fires and budgets no random
 * run exhausts: the fuzz is about the protocol's invariants; the budgets have
 * tests of their own (test/protocol/budgets.test.ts).
 */
export function fuzzSettings(overrides: Partial<ChatSettings>): ChatSettings {
  return {
    ...loadConfig({}),
    helloTimeoutMs: 600_000,
    joinLimitBurst: 1_000_000,
    readLimitBurst: 1_000_000,
    frameLimitBurst: 1_000_000,
    newUsersPerHour: 1_000_000,
    newRoomsPerHour: 1_000_000,
    ...overrides,
  };
}

/** Lets every pending commit, promise chain and close run. */
export async function settle(graceMs: number, turns = 40): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
  if (graceMs > 0) await sleep(graceMs + 2);
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Lets every queued microtask chain run (up to a depth no handler reaches), and no macrotask. */
export async function drainMicrotasks(): Promise<void> {
  for (let i = 0; i < 200; i++) await Promise.resolve();
}

/** Waits 0–2 turns of the event loop (a store or directory on the network answers later). */
export function later(random: () => number): Promise<void> {
  const turns = Math.floor(random() * 3);
  let p = Promise.resolve();
  for (let i = 0; i < turns; i++) p = p.then(() => new Promise((resolve) => setImmediate(resolve)));
  return p;
}

/**
 * The real store, but reads and session writes answer 0–2 turns late, as a
 * store across the network would: joins, history and hellos then interleave
 * with commits and deliveries. Appends and changes are neither delayed nor
 * reordered: both enter the store's group commit when called, which numbers
 * them and resolves them in that order (ChatStore.append, ChatStore.change);
 * resolving a later seq first is no store's behaviour, and the room takes it
 * for a store that went back (a new epoch).
 */
export function jitterStore(inner: ChatStore, random: () => number): ChatStore {
  return interceptStore(inner, async (method, call) => {
    if (method === 'append' || method === 'change' || method === 'check' || method === 'close') return call();
    await later(random);
    const result = await call();
    await later(random);
    return result;
  });
}

/** LocalMembership answering 0–2 turns late (Redis would). */
export class JitterMembership implements MembershipDirectory {
  readonly shared = true;
  private readonly inner = new LocalMembership();
  constructor(private readonly random: () => number) {}
  async set(room: string, user: User, present: boolean): Promise<void> {
    await later(this.random);
    await this.inner.set(room, user, present);
  }
  async members(room: string): Promise<User[]> {
    await later(this.random);
    return this.inner.members(room);
  }
  async counts(rooms: readonly string[]): Promise<Map<string, number>> {
    await later(this.random);
    return this.inner.counts(rooms);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Decodes one server frame: final, unmasked, text (0x81), with an exact length. */
export function decodeWire(bytes: Buffer): string | string[] {
  if (bytes[0] !== 0x81) return [`first byte 0x${(bytes[0] ?? 0).toString(16)}, not 0x81 (final text frame)`];
  const len7 = (bytes[1] ?? 0) & 0x7f;
  if (((bytes[1] ?? 0) & 0x80) !== 0) return ['masked server frame'];
  const header = len7 === 126 ? 4 : len7 === 127 ? 10 : 2;
  const length =
    len7 === 126 ? bytes.readUInt16BE(2) : len7 === 127 ? Number(bytes.readBigUInt64BE(2)) : len7;
  if (bytes.length !== header + length) return [`length ${length} but ${bytes.length - header} bytes`];
  return bytes.subarray(header).toString('utf8');
}

// ---------------------------------------------------------------------------
// Changes under reconnects: several clients, each one user, each
// materializing its rooms from `joined`, `history`, `message` and `update`
// frames (by rev), issuing sends and changes online and offline, resending
// what is unanswered after each reconnect. test/fuzz.test.ts drives them with
// random actions and holds every client's rooms to a fresh `history` read and
// that read to the model of changes-model.ts.
// ---------------------------------------------------------------------------

export const CHANGE_ROOMS = ['general', 'random'] as const;

/** Which message of the room a request aims at, from those the client holds. */
export interface Aim {
  /** `reacted`: one it has reacted to (for a reaction removed); `popular`: one with reactions. */
  kind: 'own' | 'other' | 'deleted' | 'reacted' | 'popular' | 'any' | 'bogus';
  n: number;
}

export type ChangesAction =
  | { a: 'send'; c: number; room: number; text: string; reply: Aim | undefined }
  | { a: 'edit'; c: number; room: number; aim: Aim; text: string; same: boolean }
  | { a: 'delete'; c: number; room: number; aim: Aim }
  /** `join`: with an emoji already there (if any): on, one of others' (a second user on it); off, its own. */
  | { a: 'react'; c: number; room: number; aim: Aim; emoji: string; on: boolean; join: boolean }
  /** 22 different emoji on one message at once: the 21st is too_many_reactions, unless some went meanwhile. */
  | { a: 'flood'; c: number; room: number; aim: Aim }
  /** The same request again under its id: its first ack comes back (or, if it was refused, it is checked again). */
  | { a: 'resend'; c: number; n: number }
  /** Another request under an acked id: answered with that id's ack, and changes nothing. */
  | { a: 'reuse'; c: number; n: number; kind: 'send' | 'edit' | 'delete' | 'react'; room: number; aim: Aim }
  | { a: 'drop'; c: number; clean: boolean }
  | { a: 'connect'; c: number }
  /** A reload without a stored copy: drops the rooms it holds and joins them afresh (no `since`). */
  | { a: 'reload'; c: number }
  | { a: 'leave'; c: number; room: number }
  | { a: 'join'; c: number; room: number }
  | { a: 'settle'; turns: number }
  | { a: 'tick'; ms: number };

export interface ChangesRunOptions {
  clients: number;
  /** Seeds the 0–2 turn delays of reads and directory calls; undefined: none. */
  jitterSeed: number | undefined;
  /** Messages client 0 sends into `general` before the actions, so a fresh join pages back. */
  prefill: number;
  /** The `limit` of every `history` page the clients ask for. */
  pageLimit: number;
}

/** Counts of what the runs reached, by name, over every run. */
export class Coverage {
  readonly counts = new Map<string, number>();
  add(name: string, n = 1): void {
    if (n !== 0) this.counts.set(name, (this.counts.get(name) ?? 0) + n);
  }
  get(name: string): number {
    return this.counts.get(name) ?? 0;
  }
}

interface SendFrame {
  type: 'send';
  room: string;
  id: string;
  text: string;
  replyTo?: number;
}
type Request = SendFrame | ChangeFrame;

interface Copy {
  epoch: string | undefined;
  /** The resume point: the highest event seq received (joined.seq, message.seq, update.seq). */
  since: number | undefined;
  messages: Map<number, Message>;
  /** Messages below this seq may be missing: page back from it with `history`. */
  pagingFrom: number | undefined;
}

interface Issued {
  /** The request's target (or replyTo) was a message the client held when it asked. */
  heldTarget: Message | undefined;
  offline: boolean;
  /** A connection that carried it dropped before its answer. */
  dropped: boolean;
  /** The connections it was sent on. */
  conns: Set<number>;
}

const MESSAGE_FIELDS = (m: Message) => ({
  ts: m.ts,
  id: m.id,
  from: m.from,
  text: m.text,
  rev: m.rev ?? m.seq,
  edited: m.edited,
  deleted: m.deleted,
  // The snippet is read when the reply is: only the history read's is checked (against its target).
  replyTo: m.replyTo ? { seq: m.replyTo.seq, from: m.replyTo.from } : undefined,
  reactions: m.reactions?.map(({ emoji, count, users }) => ({ emoji, count, users })),
});

/** A message's state for comparing copies with `history`. */
export function stateKey(m: Message): string {
  return JSON.stringify(MESSAGE_FIELDS(m));
}

class ClientConn implements Peer {
  static nextId = 1_000_000;
  readonly id = ClientConn.nextId++;
  readonly address = '127.0.0.1';
  readonly unsentBytes = 0;
  open = true;
  session!: ConnectionSession;
  /** Room → the last event seq received on this connection (from its joined on). */
  readonly live = new Map<string, number>();
  /** Rooms whose `history` paging runs on this connection. */
  readonly paging = new Set<string>();
  /** Room → the `since` its join sent. */
  readonly resumedFrom = new Map<string, (number | undefined)[]>();
  welcomed = false;
  /** Id → its transmissions on this connection not answered yet. */
  readonly outstanding = new Map<string, number>();
  /** Ids sent here while an earlier transmission of theirs was still unanswered here. */
  readonly raced = new Set<string>();
  /** `room:seq` of every message and update received on this connection. */
  readonly seen = new Set<string>();

  constructor(private readonly client: FuzzClient) {}

  whenDrained(): Promise<void> {
    return Promise.resolve();
  }

  write(frame: Frame): void {
    if (!this.open) return;
    if (!isWireFrame(frame)) {
      this.client.violate('not a wire frame');
      return;
    }
    const bytes = frame.more ? Buffer.concat([frame.bytes, ...frame.more]) : frame.bytes;
    const text = decodeWire(bytes);
    if (typeof text !== 'string') {
      this.client.violate(text[0]!);
      return;
    }
    const parsed = parseServerMessage(text);
    if (!parsed.ok) {
      this.client.violate(`not a frame of the protocol (${parsed.error.message}): ${text.slice(0, 200)}`);
      return;
    }
    if (process.env.FUZZ_TRACE) console.log(`<- ${this.client.name}#${this.id} ${text.slice(0, 300)}`);
    this.client.onFrame(this, parsed.message, text);
  }

  close(code: number): void {
    if (!this.open) return;
    this.client.violate(`the server closed a well-behaved client's connection with ${code}`);
    this.open = false;
    setImmediate(() => this.session.end(false));
  }

  send(frame: object): void {
    this.raw(JSON.stringify(frame));
  }

  raw(text: string): void {
    if (process.env.FUZZ_TRACE) console.log(`-> ${this.client.name}#${this.id} ${text.slice(0, 300)}`);
    this.session.receive(text);
  }
}

/** One user of the chat, one connection at a time, as docs/protocol.md › Reconnect and › Changing messages ask. */
export class FuzzClient implements ModelClient {
  userId: string | undefined;
  token: string | undefined;
  readonly sent = new Map<string, { room: string; text: string; replyTo?: number | undefined }>();
  readonly changes = new Map<string, ChangeFrame>();
  readonly acked = new Map<string, { room: string; seq: number; ts: number }>();
  /** Each id's first request as sent (its resends send the same text). */
  readonly frames = new Map<string, string>();
  readonly issued = new Map<string, Issued>();
  /** Ids in the order first asked. */
  readonly order: string[] = [];
  /** Ids not answered yet, in the order asked: sent again on every connection. */
  pending: string[] = [];
  /** Id → the error codes it was answered with. */
  readonly errors = new Map<string, string[]>();
  /** Rooms the client wants to be in. */
  readonly rooms = new Set<string>(CHANGE_ROOMS);
  readonly copies = new Map<string, Copy>();
  /** Every update received: `room:seq`. */
  readonly updates: string[] = [];
  /** First acks whose seq had come to that connection already (a fault if the event is this request's). */
  readonly earlyEvents: { id: string; at: string }[] = [];
  conn: ClientConn | undefined;
  private nextId = 1;

  constructor(
    readonly name: string,
    private readonly chat: Chat,
    private readonly world: { violations: string[]; coverage: Coverage; pageLimit: number },
  ) {}

  violate(what: string): void {
    this.world.violations.push(`${this.name}: ${what}`);
  }

  private get coverage(): Coverage {
    return this.world.coverage;
  }

  copy(room: string): Copy {
    let copy = this.copies.get(room);
    if (!copy) {
      copy = { epoch: undefined, since: undefined, messages: new Map(), pagingFrom: undefined };
      this.copies.set(room, copy);
    }
    return copy;
  }

  // ---------- connections ----------

  connect(): void {
    if (this.conn) return;
    const conn = new ClientConn(this);
    this.conn = conn;
    conn.session = this.chat.open(conn);
    conn.send({ type: 'hello', v: 1, name: this.name, ...(this.token ? { token: this.token } : {}) });
    for (const room of this.rooms) this.sendJoin(conn, room);
    // Then every request not answered yet, with its original id, in order.
    for (const id of this.pending) this.transmit(conn, id);
    this.coverage.add('requests resent on a new connection', this.pending.length);
  }

  drop(clean: boolean): void {
    const conn = this.conn;
    if (!conn) return;
    this.conn = undefined;
    conn.open = false;
    // What it carried unanswered may or may not be stored: in doubt, it is
    // sent again on the next connection, where its ack settles it.
    for (const id of conn.outstanding.keys()) {
      const issued = this.issued.get(id);
      if (issued) issued.dropped = true;
      if (!this.acked.has(id) && !this.pending.includes(id)) this.pending.push(id);
    }
    conn.session.end(clean);
  }

  /** Forgets what it holds of every room (a client without a stored copy), then connects. */
  reload(): void {
    this.drop(true);
    this.copies.clear();
    this.connect();
  }

  private sendJoin(conn: ClientConn, room: string): void {
    const copy = this.copies.get(room);
    const since = copy?.epoch !== undefined ? copy.since : undefined;
    // Joins of a room are answered in order: one `since` for each, first in first out.
    conn.resumedFrom.set(room, [...(conn.resumedFrom.get(room) ?? []), since]);
    conn.send({ type: 'join', room, ...(since !== undefined ? { since, epoch: copy?.epoch } : {}) });
  }

  join(room: string): void {
    if (this.rooms.has(room)) return;
    this.rooms.add(room);
    if (this.conn) this.sendJoin(this.conn, room);
  }

  leave(room: string): void {
    if (!this.rooms.delete(room)) return;
    if (this.conn) this.conn.send({ type: 'leave', room });
  }

  // ---------- requests ----------

  private newId(): string {
    // Ids are per user: every client counts m1, m2, … (the same ids, other users).
    return `m${this.nextId++}`;
  }

  /** The message `aim` picks among those held of `room`, or a seq that is none. */
  target(room: string, aim: Aim): { seq: number; held: Message | undefined } {
    const copy = this.copies.get(room);
    const all = [...(copy?.messages.values() ?? [])].sort((a, b) => a.seq - b.seq);
    const mine = (m: Message) => m.from.id === this.userId;
    const choices =
      aim.kind === 'own'
        ? all.filter((m) => mine(m) && m.deleted !== true)
        : aim.kind === 'other'
          ? all.filter((m) => !mine(m) && m.deleted !== true)
          : aim.kind === 'deleted'
            ? all.filter((m) => m.deleted === true)
            : aim.kind === 'reacted'
              ? all.filter((m) => m.reactions?.some((r) => r.users.includes(this.userId ?? '')))
              : aim.kind === 'popular'
                ? all.filter((m) => m.reactions !== undefined)
                : aim.kind === 'any'
                  ? all
                  : [];
    const picked =
      choices[aim.n % Math.max(1, choices.length)] ??
      (aim.kind === 'bogus' ? undefined : all[aim.n % Math.max(1, all.length)]);
    if (picked) return { seq: picked.seq, held: picked };
    // A seq that is no message held: an event's seq (a change), one not taken yet, or far beyond.
    const since = copy?.since ?? 0;
    const events = [];
    for (let s = 1; s <= since; s++) if (!copy?.messages.has(s)) events.push(s);
    const bogus = [...events, since + 1, since + 2, 10_000];
    return { seq: bogus[aim.n % bogus.length]!, held: undefined };
  }

  private issue(request: Request, heldTarget: Message | undefined): void {
    const id = request.id;
    const text = JSON.stringify(request);
    this.frames.set(id, text);
    this.order.push(id);
    this.pending.push(id);
    this.issued.set(id, { heldTarget, offline: !this.conn, dropped: false, conns: new Set() });
    if (request.type === 'send')
      this.sent.set(id, { room: request.room, text: request.text, replyTo: request.replyTo });
    else this.changes.set(id, request);
    if (this.conn) this.transmit(this.conn, id);
    else this.coverage.add(`${request.type} asked while disconnected`);
  }

  /** Sends the request under `id` on `conn`, as first asked. */
  private transmit(conn: ClientConn, id: string): void {
    this.count(conn, id);
    this.issued.get(id)?.conns.add(conn.id);
    conn.raw(this.frames.get(id)!);
  }

  send(room: string, text: string, reply: Aim | undefined): void {
    const ref = reply ? this.target(room, reply) : undefined;
    this.issue(
      { type: 'send', room, id: this.newId(), text, ...(ref ? { replyTo: ref.seq } : {}) },
      ref?.held,
    );
  }

  change(request: ChangeRequest, held: Message | undefined): void {
    this.issue({ ...request, id: this.newId() }, held);
  }

  /** The `n`th request asked so far, again, with its id: if connected. */
  resend(n: number): void {
    if (!this.conn || this.order.length === 0) return;
    const id = this.order[n % this.order.length]!;
    if (!this.pending.includes(id)) this.pending.push(id);
    this.transmit(this.conn, id);
    this.coverage.add(
      this.acked.has(id)
        ? 'resends of an acked request'
        : this.errors.has(id)
          ? 'resends of a refused request'
          : 'resends of a request in flight',
    );
  }

  /** Another request under the `n`th acked id (if connected): its ack must come back, and nothing change. */
  reuse(n: number, request: Omit<SendFrame, 'id'> | ChangeRequest): void {
    const acked = this.order.filter((id) => this.acked.has(id));
    if (!this.conn || acked.length === 0) return;
    const id = acked[n % acked.length]!;
    this.count(this.conn, id);
    this.conn.raw(JSON.stringify({ ...request, id }));
    this.coverage.add('other requests under an acked id');
  }

  /** Connected, in its rooms, every request answered, nothing left to page: what the end of a run waits for. */
  get quiet(): boolean {
    if (this.pending.length > 0 || !this.conn?.welcomed || this.conn.outstanding.size > 0) return false;
    for (const room of this.rooms) {
      if (!this.conn.live.has(room)) return false;
      if (this.copy(room).pagingFrom !== undefined) return false;
    }
    return true;
  }

  // ---------- frames ----------

  /** Keeps `m` unless the copy holds the same message at a newer rev (the same rev must be the same state). */
  private hold(copy: Copy, m: Message, where: string): void {
    const held = copy.messages.get(m.seq);
    const rev = m.rev ?? m.seq;
    const heldRev = held ? (held.rev ?? held.seq) : 0;
    if (!held || heldRev < rev) copy.messages.set(m.seq, m);
    else if (heldRev > rev) this.coverage.add(`older states not applied (${where})`);
    else if (stateKey(held) !== stateKey(m))
      this.violate(
        `${m.room}:${m.seq}@${rev} in two states: ${stateKey(held)} and ${stateKey(m)} (${where})`,
      );
  }

  /**
   * One transmission of `id` answered on `conn`. An ack settles it; an
   * error does once no other transmission of it is in flight here (a resend
   * may succeed where the first was refused: a refusal is not remembered).
   * Returns whether another transmission of it was in flight meanwhile (on
   * this connection, or on one that dropped).
   */
  private answered(conn: ClientConn, id: string, acked: boolean): boolean {
    const left = (conn.outstanding.get(id) ?? 1) - 1;
    const raced = conn.raced.has(id);
    if (left > 0) conn.outstanding.set(id, left);
    else {
      conn.outstanding.delete(id);
      conn.raced.delete(id);
    }
    if (acked || left === 0) this.pending = this.pending.filter((p) => p !== id);
    return raced || this.issued.get(id)?.dropped === true;
  }

  private count(conn: ClientConn, id: string): void {
    const n = conn.outstanding.get(id) ?? 0;
    if (n > 0) conn.raced.add(id);
    conn.outstanding.set(id, n + 1);
  }

  private page(conn: ClientConn, room: string): void {
    const from = this.copy(room).pagingFrom;
    // Not after a leave: the room's answers stop at `left` (paging goes on after a rejoin).
    if (from === undefined || conn.paging.has(room) || !this.rooms.has(room)) return;
    conn.paging.add(room);
    conn.send({ type: 'history', room, before: from, limit: this.world.pageLimit });
  }

  onFrame(conn: ClientConn, m: ServerMessage, text: string): void {
    if (!conn.welcomed && m.type !== 'welcome' && m.type !== 'error')
      this.violate(`${m.type} before welcome: ${text.slice(0, 200)}`);
    switch (m.type) {
      case 'welcome':
        if (this.userId !== undefined && m.user.id !== this.userId)
          this.violate(`welcomed as ${m.user.id}, was ${this.userId}`);
        if (!m.features?.includes(FEATURES.CHANGES)) this.violate('welcome.features lacks changes');
        this.userId = m.user.id;
        this.token = m.token;
        conn.welcomed = true;
        return;
      case 'joined': {
        const copy = this.copy(m.room);
        const since = conn.resumedFrom.get(m.room)?.shift();
        // Another epoch, or a room behind what the client holds: its copy is no good.
        if (
          (copy.epoch !== undefined && copy.epoch !== m.epoch) ||
          (copy.since !== undefined && m.seq < copy.since)
        ) {
          if (copy.messages.size > 0)
            this.violate(
              `${m.room}: joined drops the copy (epoch ${copy.epoch} → ${m.epoch}, seq ${copy.since} → ${m.seq})`,
            );
          copy.messages.clear();
          copy.pagingFrom = undefined;
        }
        copy.epoch = m.epoch;
        if (since !== undefined) {
          this.coverage.add('resumes (join with since)');
          const older = m.messages.filter((x) => x.seq <= since).length;
          this.coverage.add('changed messages older than since in a resume', older);
        } else this.coverage.add('joins without since');
        for (const x of m.messages) {
          if ((x.rev ?? x.seq) > m.seq) this.violate(`joined.seq ${m.seq} below ${x.seq}'s rev ${x.rev}`);
          if (since !== undefined && (x.rev ?? x.seq) <= since)
            this.violate(`a resume from ${since} holds ${m.room}:${x.seq} at rev ${x.rev}`);
          this.hold(copy, x, 'joined');
        }
        copy.since = m.seq;
        conn.live.set(m.room, m.seq);
        conn.paging.delete(m.room);
        if (m.hasMore) copy.pagingFrom = m.messages[0]?.seq ?? m.seq + 1;
        this.page(conn, m.room);
        return;
      }
      case 'left':
        conn.live.delete(m.room);
        return;
      case 'message':
      case 'update': {
        const last = conn.live.get(m.room);
        if (last === undefined) {
          this.violate(`${m.type} of ${m.room}, not joined on this connection`);
          return;
        }
        if (m.seq !== last + 1) this.violate(`${m.room}: ${m.type} ${m.seq} after ${last}`);
        conn.live.set(m.room, m.seq);
        conn.seen.add(`${m.room}:${m.seq}`);
        const copy = this.copy(m.room);
        copy.since = Math.max(copy.since ?? 0, m.seq);
        if (m.type === 'message') {
          const { type: _, ...message } = m;
          this.hold(copy, message, 'message');
        } else {
          // One process: an update carries the state its own event made.
          if (m.message.rev !== m.seq) this.violate(`update ${m.seq} carries rev ${m.message.rev}`);
          if (m.message.seq >= m.seq)
            this.violate(`update ${m.seq} of a message not older (${m.message.seq})`);
          this.updates.push(`${m.room}:${m.seq}`);
          this.hold(copy, m.message, 'update');
        }
        return;
      }
      case 'history': {
        const copy = this.copy(m.room);
        this.coverage.add('history pages');
        for (const x of m.messages) this.hold(copy, x, 'history');
        conn.paging.delete(m.room);
        copy.pagingFrom = m.hasMore && m.messages.length > 0 ? m.messages[0]!.seq : undefined;
        this.page(conn, m.room);
        return;
      }
      case 'ack': {
        const first = this.acked.get(m.id);
        if (!this.frames.has(m.id)) this.violate(`an ack for ${m.id}, never asked`);
        else if (first) {
          if (first.room !== m.room || first.seq !== m.seq || first.ts !== m.ts)
            this.violate(
              `${m.id} acked ${m.room}:${m.seq} at ${m.ts}, first ${first.room}:${first.seq} at ${first.ts}`,
            );
          this.coverage.add(`acks repeated for an acked ${this.changes.get(m.id)?.type ?? 'send'}`);
        } else {
          this.acked.set(m.id, { room: m.room, seq: m.seq, ts: m.ts });
          const issued = this.issued.get(m.id);
          // Sent on this connection only: if its event came here already, it came before its ack.
          if (issued?.conns.size === 1 && conn.seen.has(`${m.room}:${m.seq}`))
            this.earlyEvents.push({ id: m.id, at: `${m.room}:${m.seq}` });
          if (issued?.offline) this.coverage.add('requests asked offline, acked after a reconnect');
          if (issued?.dropped) this.coverage.add('requests acked after their connection dropped');
          if (this.errors.has(m.id)) this.coverage.add('requests refused, then acked when resent');
        }
        this.answered(conn, m.id, true);
        return;
      }
      case 'error': {
        if (m.id !== undefined && this.frames.has(m.id)) {
          this.answered(conn, m.id, false);
          if (this.acked.has(m.id))
            this.violate(`${m.id}, acked before, answered ${m.code}: ${text.slice(0, 200)}`);
          const codes = this.errors.get(m.id) ?? [];
          codes.push(m.code);
          this.errors.set(m.id, codes);
          return;
        }
        this.violate(`error: ${text.slice(0, 200)}`);
        return;
      }
      case 'presence':
      case 'typing':
      case 'pong':
      case 'renamed':
      case 'rooms':
      case 'members':
      case 'roster':
        return;
      default: {
        const unreachable: never = m;
        this.violate(`unknown frame ${JSON.stringify(unreachable)}`);
      }
    }
  }
}

/** The room as a fresh connection reads it with `history` alone: every message, ascending, and the room's latest event seq. */
class Reader implements Peer {
  readonly id = ClientConn.nextId++;
  readonly address = '127.0.0.1';
  readonly unsentBytes = 0;
  session!: ConnectionSession;
  readonly pages = new Map<string, Message[]>();
  readonly seqs = new Map<string, number>();
  readonly done = new Set<string>();
  readonly problems: string[] = [];
  whenDrained(): Promise<void> {
    return Promise.resolve();
  }
  close(code: number): void {
    this.problems.push(`reader closed with ${code}`);
  }
  write(frame: Frame): void {
    if (!isWireFrame(frame)) return;
    const text = decodeWire(frame.more ? Buffer.concat([frame.bytes, ...frame.more]) : frame.bytes);
    if (typeof text !== 'string') return;
    const parsed = parseServerMessage(text);
    if (!parsed.ok) {
      this.problems.push(`reader got ${text.slice(0, 200)}`);
      return;
    }
    const m = parsed.message;
    if (m.type === 'joined') {
      this.seqs.set(m.room, m.seq);
      this.session.receive(
        JSON.stringify({ type: 'history', room: m.room, limit: LIMITS.HISTORY_MAX_LIMIT }),
      );
    } else if (m.type === 'history') {
      const held = this.pages.get(m.room) ?? [];
      held.unshift(...m.messages);
      this.pages.set(m.room, held);
      if (m.hasMore && m.messages.length > 0) {
        const before = m.messages[0]!.seq;
        this.session.receive(
          JSON.stringify({ type: 'history', room: m.room, before, limit: LIMITS.HISTORY_MAX_LIMIT }),
        );
      } else this.done.add(m.room);
    } else if (m.type === 'error') this.problems.push(`reader got ${text.slice(0, 200)}`);
  }
}

/** Runs one random sequence of actions; returns what broke the protocol or the model (empty when nothing did). */
export async function runChanges(
  actions: readonly ChangesAction[],
  options: ChangesRunOptions,
  coverage: Coverage,
  /** A store with a fault put in, to show the property finds it (fuzz.test.ts). */
  fault?: (store: ChatStore) => ChatStore,
): Promise<string[]> {
  const violations: string[] = [];
  const logged: string[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => logged.push(line) });
  let now = 1_764_000_000_000;
  const sqlite = new SqliteStore(':memory:');
  const random = prng(options.jitterSeed ?? 0);
  const real: ChatStore = fault ? fault(sqlite) : sqlite;
  const store: ChatStore = options.jitterSeed === undefined ? real : jitterStore(real, random);
  const chat = new ChatService({
    store,
    bus: new LocalBus(),
    membership: options.jitterSeed === undefined ? new LocalMembership() : new JitterMembership(random),
    encode: encodeFrame,
    encodeJoined: encodeJoinedFrame,
    clock: { now: () => now, monotonic: () => now },
    log,
    metrics: fuzzMetrics,
    // Sends and changes share a budget no run should meet (budgets.test.ts tests it).
    settings: fuzzSettings({ presenceGraceMs: 0, rateLimitBurst: 1_000_000 }),
  });
  const world = { violations, coverage, pageLimit: options.pageLimit };
  const clients = Array.from({ length: options.clients }, (_, i) => new FuzzClient(`user${i}`, chat, world));
  try {
    // Everyone welcomed (so a token is known: a reconnect is the same user) and in both rooms.
    for (const c of clients) {
      c.connect();
      await drainMicrotasks();
    }
    for (let i = 0; i < options.prefill; i++) clients[0]!.send('general', `before ${i}`, undefined);
    for (let i = 0; i < 50 && !clients.every((c) => c.quiet); i++) await settle(0, 10);
    if (!clients.every((c) => c.quiet)) violations.push('the clients never got started');

    let previous: FuzzClient | undefined;
    for (const step of actions) {
      if (step.a === 'settle') {
        await settle(0, step.turns);
        continue;
      }
      if (step.a === 'tick') {
        now += step.ms;
        continue;
      }
      const client = clients[step.c % clients.length]!;
      // One client's frames may come in one turn (one TCP read, as ws emits
      // them); another connection's come in a turn of their own, after the
      // microtasks of this one ran: handler code between two awaits of I/O
      // is atomic in the server, and a run that broke that would find faults
      // no deployment has. No macrotask runs here: commits still wait for
      // their setImmediate (group commit), so a drop can come before an ack.
      if (client !== previous) await drainMicrotasks();
      previous = client;
      const roomOf = (n: number) => CHANGE_ROOMS[n % CHANGE_ROOMS.length]!;
      switch (step.a) {
        case 'send':
          client.send(roomOf(step.room), step.text, step.reply);
          break;
        case 'edit': {
          const room = roomOf(step.room);
          const { seq, held } = client.target(room, step.aim);
          const text = step.same && held ? held.text : step.text;
          client.change({ type: 'edit', room, target: seq, text }, held);
          break;
        }
        case 'delete': {
          const room = roomOf(step.room);
          const { seq, held } = client.target(room, step.aim);
          client.change({ type: 'delete', room, target: seq }, held);
          break;
        }
        case 'react': {
          const room = roomOf(step.room);
          const { seq, held } = client.target(room, step.aim);
          // `join`: on, an emoji others put there (a second user on it); off, one of its own there.
          const me = client.userId ?? '';
          const there = held?.reactions?.find((r) => r.users.includes(me) !== step.on)?.emoji;
          const emoji = step.join && there !== undefined ? there : step.emoji;
          client.change({ type: 'react', room, target: seq, emoji, on: step.on }, held);
          break;
        }
        case 'flood': {
          const room = roomOf(step.room);
          const { seq, held } = client.target(room, step.aim);
          for (let i = 0; i <= LIMITS.MAX_REACTION_EMOJI + 1; i++)
            client.change({ type: 'react', room, target: seq, emoji: `e${i}`, on: true }, held);
          break;
        }
        case 'resend':
          client.resend(step.n);
          break;
        case 'reuse': {
          const room = roomOf(step.room);
          const { seq } = client.target(room, step.aim);
          client.reuse(
            step.n,
            step.kind === 'send'
              ? { type: 'send', room, text: 'reused', replyTo: seq }
              : step.kind === 'edit'
                ? { type: 'edit', room, target: seq, text: 'reused' }
                : step.kind === 'delete'
                  ? { type: 'delete', room, target: seq }
                  : { type: 'react', room, target: seq, emoji: '🔁', on: true },
          );
          break;
        }
        case 'drop':
          client.drop(step.clean);
          break;
        case 'connect':
          client.connect();
          break;
        case 'reload':
          client.reload();
          break;
        case 'leave':
          client.leave(roomOf(step.room));
          break;
        case 'join':
          client.join(roomOf(step.room));
          break;
      }
    }

    // The end: everyone back, in both rooms, every request answered, every room paged in full.
    for (const c of clients) {
      await drainMicrotasks();
      c.connect();
      for (const room of CHANGE_ROOMS) c.join(room);
    }
    // A room reopened while one of its commits was in flight has a gap its
    // timer fills from the store (200 ms, room.ts): wait in real time too.
    const latest = async () =>
      Promise.all(CHANGE_ROOMS.map(async (room) => (await sqlite.findRoom(room))?.seq ?? 0));
    const caughtUp = async () => {
      const seqs = await latest();
      return clients.every(
        (c) => c.quiet && CHANGE_ROOMS.every((room, i) => c.conn?.live.get(room) === seqs[i]),
      );
    };
    for (let i = 0; i < 100 && !(await caughtUp()); i++) {
      await settle(0, 10);
      if (i === 20) coverage.add('runs whose clients waited for a gap to be filled (200 ms)');
      if (i >= 20) await sleep(20);
    }
    await settle(0, 20);
    for (const c of clients) {
      if (!c.quiet)
        violations.push(
          `${c.name} not settled: unanswered ${c.pending.join(',')}; paging ${[...c.copies]
            .filter(([, x]) => x.pagingFrom !== undefined)
            .map(([r]) => r)
            .join(',')}`,
        );
    }

    // A fresh read of each room with `history`.
    const reader = new Reader();
    reader.session = chat.open(reader);
    reader.session.receive(JSON.stringify({ type: 'hello', v: 1, name: 'reader' }));
    for (const room of CHANGE_ROOMS) reader.session.receive(JSON.stringify({ type: 'join', room }));
    for (let i = 0; i < 100 && reader.done.size < CHANGE_ROOMS.length; i++) await settle(0, 10);
    violations.push(...reader.problems);
    if (reader.done.size < CHANGE_ROOMS.length) violations.push('the history read never finished');

    // A refused request is not stored. (A resend refused while the request
    // it repeats was still committing once broke this: see the resend tests
    // at the end of fuzz.test.ts.)
    for (const c of clients) {
      for (const [id, codes] of c.errors) {
        if (c.acked.has(id)) continue;
        const ack = await sqlite.findAck(c.userId ?? '', id);
        if (!ack) continue;
        violations.push(`${c.name}: ${id} refused ${codes.join(',')}, yet stored at ${ack.room}:${ack.seq}`);
      }
    }
    verifyChanges(clients, reader, coverage, violations);
    reader.session.end(true);
  } finally {
    await chat.shutdown();
    await store.close();
  }
  for (const line of logged) violations.push(`logged: ${line.slice(0, 300)}`);
  return violations;
}

const fuzzMetrics = createMetrics();

/** Every client's rooms against the history read, the history read against the model, every answer against the rules. */
function verifyChanges(
  clients: readonly FuzzClient[],
  reader: Reader,
  coverage: Coverage,
  violations: string[],
): void {
  const replay = replayRoom(clients);
  violations.push(...replay.problems);
  for (const [what, n] of replay.noops) coverage.add(`no-op acks: ${what}`, n);
  const history = new Map<string, Message>();
  for (const room of CHANGE_ROOMS) {
    const page = reader.pages.get(room) ?? [];
    const seqs = page.map((m) => m.seq);
    if (seqs.some((s, i) => i > 0 && s <= seqs[i - 1]!))
      violations.push(`${room}: history does not ascend: ${seqs.join(',')}`);
    const bySeq = new Map(page.map((m) => [m.seq, m]));
    for (const m of page) {
      history.set(`${room}:${m.seq}`, m);
      if (m.deleted === true && (m.text !== '' || m.reactions !== undefined || m.edited !== undefined))
        violations.push(`${room}:${m.seq}: a tombstone with ${stateKey(m)}`);
      if ((m.reactions?.length ?? 0) > LIMITS.MAX_REACTION_EMOJI)
        violations.push(`${room}:${m.seq}: ${m.reactions?.length} emoji`);
      if (m.replyTo) {
        const target = bySeq.get(m.replyTo.seq);
        coverage.add('replies in history');
        if (target?.deleted === true) coverage.add('replies to a tombstone in history');
        if (!target) violations.push(`${room}:${m.seq} replies to ${m.replyTo.seq}, no message in history`);
        else if (
          m.replyTo.text !== replySnippet(target.text) ||
          JSON.stringify(m.replyTo.from) !== JSON.stringify(target.from)
        )
          violations.push(
            `${room}:${m.seq}: replyTo ${JSON.stringify(m.replyTo)}, its message is ${stateKey(target)}`,
          );
      }
      const multi = m.reactions?.filter((r) => r.count >= 2).length ?? 0;
      coverage.add('emoji with several users in history', multi);
      const expected = replay.messages.get(`${room}:${m.seq}`);
      if (!expected) violations.push(`${room}:${m.seq} is in history, but no acked send made it`);
      else violations.push(...differsFromModel(m, expected));
    }
    // Every event of the room, 1..seq, is one acked send or one acked change.
    const events = replay.events.get(room) ?? new Map<number, string>();
    const n = reader.seqs.get(room) ?? 0;
    for (let s = 1; s <= n; s++)
      if (!events.has(s)) violations.push(`${room}: event ${s} is no acked send and no acked change`);
    for (const s of events.keys())
      if (s > n) violations.push(`${room}: event ${s} acked, the room is at ${n}`);
    for (const kind of events.values()) coverage.add(`events: ${kind}`);
  }
  for (const at of replay.messages.keys())
    if (!history.has(at)) violations.push(`${at} acked, not in history`);

  for (const c of clients) {
    // What each client materialized: exactly the history read.
    for (const room of CHANGE_ROOMS) {
      const copy = c.copies.get(room);
      const n = reader.seqs.get(room) ?? 0;
      if (copy?.since !== n)
        violations.push(`${c.name}: ${room} resumes from ${copy?.since}, the room is at ${n}`);
      const held = [...(copy?.messages.values() ?? [])].sort((a, b) => a.seq - b.seq);
      const read = reader.pages.get(room) ?? [];
      if (held.map((m) => m.seq).join(',') !== read.map((m) => m.seq).join(','))
        violations.push(
          `${c.name}: ${room} holds seqs ${held.map((m) => m.seq).join(',')}, history ${read.map((m) => m.seq).join(',')}`,
        );
      for (const m of held) {
        const h = history.get(`${room}:${m.seq}`);
        if (h && stateKey(h) !== stateKey(m))
          violations.push(`${c.name}: ${room}:${m.seq} is ${stateKey(m)}, history ${stateKey(h)}`);
      }
    }
    for (const { id, at } of c.earlyEvents)
      if (replay.by.get(at) === `${c.userId}/${id}`)
        violations.push(
          `${c.name}: the event of ${id} (${at}) came before its ack on the connection that sent it`,
        );
    for (const at of c.updates)
      coverage.add(
        `updates received: ${replay.events.get(at.split(':')[0]!)?.get(Number(at.split(':')[1])) ?? '?'}`,
      );
    // Every refusal is one the rules give for what was asked.
    for (const [id, codes] of c.errors) {
      if (c.acked.has(id)) continue;
      const frame = JSON.parse(c.frames.get(id)!) as Request;
      const held = c.issued.get(id)?.heldTarget;
      const targetSeq = frame.type === 'send' ? frame.replyTo : frame.target;
      const target = targetSeq === undefined ? undefined : history.get(`${frame.room}:${targetSeq}`);
      for (const code of codes) {
        coverage.add(`refused: ${frame.type} ${code}`);
        if (code === ERROR_CODES.NOT_FOUND && held && target?.deleted === true)
          coverage.add(`refused: ${frame.type} of a tombstone`);
        const why = refusalProblem(frame, code.replace(' (racing)', ''), held, history, c.userId);
        if (why) violations.push(`${c.name}: ${id} (${c.frames.get(id)}) refused ${code}: ${why}`);
      }
    }
  }
}

/** Why `code` is not an answer the rules give to `frame`, or undefined when it is. */
function refusalProblem(
  frame: Request,
  code: string,
  held: Message | undefined,
  history: ReadonlyMap<string, Message>,
  userId: string | undefined,
): string | undefined {
  const targetSeq = frame.type === 'send' ? frame.replyTo : frame.target;
  const target = targetSeq === undefined ? undefined : history.get(`${frame.room}:${targetSeq}`);
  switch (code) {
    case ERROR_CODES.NOT_IN_ROOM:
      return undefined; // the client had left the room, or not joined it yet on that connection
    case ERROR_CODES.EMPTY_TEXT:
    case ERROR_CODES.TEXT_TOO_LONG:
      return 'text' in frame && frame.text !== undefined && !checkText(frame.text).ok
        ? undefined
        : 'the text is fine';
    case ERROR_CODES.INVALID_REACTION:
      return frame.type === 'react' && !checkEmoji(frame.emoji ?? '').ok ? undefined : 'the emoji is fine';
    case ERROR_CODES.TOO_MANY_REACTIONS:
      return frame.type === 'react' && frame.on === true ? undefined : 'not a reaction added';
    case ERROR_CODES.FORBIDDEN:
      if (frame.type !== 'edit' && frame.type !== 'delete') return `a ${frame.type} is never forbidden`;
      if (!target) return 'no message there (not_found comes first)';
      return target.from.id === userId ? 'its own message' : undefined;
    case ERROR_CODES.NOT_FOUND:
      // A message held when asked was a message then, and a message stays one; a tombstone stays one.
      if (!held || !target) return undefined;
      if (frame.type === 'send' || frame.type === 'delete') return 'a message (a tombstone is fine here)';
      return target.deleted === true ? undefined : 'a message never deleted';
    default:
      return 'not an answer to a well-formed request';
  }
}

// ---------- random actions ----------

const TEXTS = [
  'hi',
  'hello world',
  '😀',
  'edited',
  'edited again',
  ' spaced out ',
  // Past the reply snippet's 100 code points, with a surrogate pair across the cut.
  `${'x'.repeat(99)}😀😀 and more`,
];
const BAD_TEXTS = ['', '   ', 'y'.repeat(LIMITS.MAX_TEXT_CHARS + 1)];
const EMOJI = ['👍', '🎉', '❤️', 'ok', '+1'];
const BAD_EMOJI = ['two words', '', 'z'.repeat(LIMITS.MAX_EMOJI_CHARS + 1)];

const texts = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...TEXTS) },
  { weight: 1, arbitrary: fc.constantFrom(...BAD_TEXTS) },
);
const aim: fc.Arbitrary<Aim> = fc.record({
  kind: fc.oneof(
    { weight: 6, arbitrary: fc.constant('own' as const) },
    { weight: 3, arbitrary: fc.constant('other' as const) },
    { weight: 2, arbitrary: fc.constant('deleted' as const) },
    { weight: 3, arbitrary: fc.constant('reacted' as const) },
    { weight: 3, arbitrary: fc.constant('popular' as const) },
    { weight: 2, arbitrary: fc.constant('any' as const) },
    { weight: 1, arbitrary: fc.constant('bogus' as const) },
  ),
  n: fc.nat(),
});
const c = fc.nat();
const room = fc.nat();

export const changesAction: fc.Arbitrary<ChangesAction> = fc.oneof(
  {
    weight: 20,
    arbitrary: fc.record({
      a: fc.constant('send' as const),
      c,
      room,
      text: texts,
      reply: fc.option(aim, { nil: undefined, freq: 2 }),
    }),
  },
  {
    weight: 16,
    arbitrary: fc.record({
      a: fc.constant('edit' as const),
      c,
      room,
      aim,
      text: texts,
      same: fc.constantFrom(false, false, false, true),
    }),
  },
  { weight: 6, arbitrary: fc.record({ a: fc.constant('delete' as const), c, room, aim }) },
  {
    weight: 20,
    arbitrary: fc
      .record({
        a: fc.constant('react' as const),
        c,
        room,
        aim,
        emoji: fc.oneof(
          { weight: 12, arbitrary: fc.constantFrom(...EMOJI) },
          { weight: 1, arbitrary: fc.constantFrom(...BAD_EMOJI) },
        ),
        on: fc.boolean(),
        join: fc.boolean(),
      })
      // Mostly a reaction removed from a message it reacted to, else most are no-ops.
      .map((r) =>
        !r.on && (r.aim.kind === 'own' || r.aim.kind === 'other')
          ? { ...r, aim: { ...r.aim, kind: 'reacted' as const } }
          : r,
      ),
  },
  { weight: 1, arbitrary: fc.record({ a: fc.constant('flood' as const), c, room, aim }) },
  { weight: 6, arbitrary: fc.record({ a: fc.constant('resend' as const), c, n: fc.nat() }) },
  {
    weight: 4,
    arbitrary: fc.record({
      a: fc.constant('reuse' as const),
      c,
      n: fc.nat(),
      kind: fc.constantFrom('send' as const, 'edit' as const, 'delete' as const, 'react' as const),
      room,
      aim,
    }),
  },
  { weight: 6, arbitrary: fc.record({ a: fc.constant('drop' as const), c, clean: fc.boolean() }) },
  { weight: 8, arbitrary: fc.record({ a: fc.constant('connect' as const), c }) },
  { weight: 2, arbitrary: fc.record({ a: fc.constant('reload' as const), c }) },
  { weight: 2, arbitrary: fc.record({ a: fc.constant('leave' as const), c, room }) },
  { weight: 4, arbitrary: fc.record({ a: fc.constant('join' as const), c, room }) },
  {
    weight: 12,
    arbitrary: fc.record({ a: fc.constant('settle' as const), turns: fc.integer({ min: 1, max: 8 }) }),
  },
  { weight: 2, arbitrary: fc.record({ a: fc.constant('tick' as const), ms: fc.nat({ max: 5000 }) }) },
);

export const changesOptions: fc.Arbitrary<ChangesRunOptions> = fc.record({
  clients: fc.integer({ min: 2, max: 4 }),
  jitterSeed: fc.option(fc.nat(), { nil: undefined }),
  prefill: fc.constantFrom(0, 0, 0, LIMITS.JOIN_HISTORY + 5),
  pageLimit: fc.constantFrom(3, 20, LIMITS.HISTORY_MAX_LIMIT),
});
