/**
 * The requests that write to a room's event stream: `send` (with its
 * `replyTo`) and the changes of a message (edit, delete, react). A change is
 * taken like a send: checked here, counted
 * in the user's send budget, stored in the next group commit without holding
 * the session's queue, acked after the commit, and then delivered to the
 * room as an `update` in seq order with its messages. What depends on the
 * state the change meets (the target, its author, a tombstone, the emoji
 * limit, a no-op) is decided in the commit (ChatStore.change).
 */
import {
  ERROR_CODES,
  checkEmoji,
  checkText,
  isValidRoomName,
  replySnippet,
  type ClientMessageOf,
  type ErrorCode,
  type ReplyRef,
  type User,
} from '@tether/protocol';

import type { Metrics } from '../metrics.js';
import type { Budgets } from './budgets.js';
import type { ChangeOp, ChangeRefusal, ChatStore, Clock } from './ports.js';
import type { RoomRegistry } from './rooms.js';
import type { ErrorContext, Session } from './session.js';

/** The refusals RequestHandlers answers for every request that names a room and an id. */
export interface Refusals {
  storeFailed(session: Session, error: unknown, ctx: ErrorContext): void;
  invalidRoom(session: Session, room: string, id?: string): void;
  notInRoom(session: Session, room: string, id?: string): void;
}

export interface WriteDeps {
  store: ChatStore;
  rooms: RoomRegistry;
  clock: Clock;
  metrics: Metrics;
  budgets: Budgets;
  refusals: Refusals;
}

type ChangeRequest = ClientMessageOf<'edit'> | ClientMessageOf<'delete'> | ClientMessageOf<'react'>;

const REFUSED: Record<ChangeRefusal, string> = {
  [ERROR_CODES.NOT_FOUND]: 'no such message in this room',
  [ERROR_CODES.FORBIDDEN]: 'only its author may change this message',
  [ERROR_CODES.TOO_MANY_REACTIONS]: 'this message holds as many different reactions as it may',
};

export class WriteHandlers {
  /**
   * This process's sends and changes on their way to the store, by user and
   * id. A refusal answers a resend with the first ack of its id; a resend
   * can come while its first is still committing (the connection dropped
   * before the ack, the client left the room since), so the refusal waits
   * for that commit before it looks.
   */
  private readonly writing = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: WriteDeps) {}

  /** `write` is the store call of (user, id): a refusal of the same id waits for it. */
  private tracked<T>(userId: string, id: string, write: Promise<T>): Promise<T> {
    const key = requestKey(userId, id);
    this.writing.set(key, write);
    const done = (): void => {
      if (this.writing.get(key) === write) this.writing.delete(key);
    };
    write.then(done, done);
    return write;
  }

  /**
   * An accepted send does not hold the session queue while it commits: a
   * client may pipeline sends, and sends from one turn of the event loop are
   * committed together. Acks come back in commit order, which is send order.
   */
  send(session: Session, message: ClientMessageOf<'send'>): void | Promise<void> {
    const user = session.user as User;
    const ctx = { room: message.room, id: message.id, request: 'send' };
    const { store, clock, metrics, budgets, refusals } = this.deps;
    // A resend of a stored message is answered with its first ack whatever the
    // rest of the request says (another room, a room left since, a full bucket),
    // so every refusal below first looks for an earlier ack.
    const refuse = (reject: () => void): Promise<void> => this.refuse(session, message.id, ctx, reject);
    if (!isValidRoomName(message.room))
      return refuse(() => refusals.invalidRoom(session, message.room, message.id));
    if (!session.rooms.includes(message.room))
      return refuse(() => refusals.notInRoom(session, message.room, message.id));
    const text = checkText(message.text);
    if (!text.ok) return refuse(() => session.error(text.code, text.message, ctx));
    const started = performance.now();
    const bucket = budgets.sends.bucket(user.id, clock.monotonic());
    if (!bucket.take(clock.monotonic())) {
      const retryAfterMs = bucket.waitMs(clock.monotonic());
      return refuse(() => session.rateLimited({ ...ctx, retryAfterMs }, 'too many messages; slow down'));
    }
    const append = (replyTo: ReplyRef | undefined): void => {
      this.tracked(
        user.id,
        message.id,
        store.append({
          room: message.room,
          id: message.id,
          from: user,
          text: message.text,
          ts: clock.now(),
          replyTo,
        }),
      ).then(
        (outcome) => {
          if (outcome.kind === 'duplicate') {
            bucket.refund();
            session.reply({ type: 'ack', ...outcome.ack });
            return;
          }
          const stored = outcome.message;
          metrics.storeSeconds.observe((performance.now() - started) / 1000);
          metrics.messagesIn.inc();
          // The sender's ack goes before the message itself on its connection.
          session.reply({ type: 'ack', room: stored.room, id: stored.id, seq: stored.seq, ts: stored.ts });
          const fanout = performance.now();
          this.deps.rooms.committed(stored);
          metrics.fanoutSeconds.observe((performance.now() - fanout) / 1000);
        },
        (error: unknown) => refusals.storeFailed(session, error, ctx),
      );
    };
    if (message.replyTo === undefined) {
      append(undefined);
      return;
    }
    // The lookup holds the queue, so sends are still stored in the order they came.
    return this.replyRef(message.room, message.replyTo).then(
      (ref) => {
        if (ref) append(ref);
        else
          return refuse(() =>
            session.error(ERROR_CODES.NOT_FOUND, 'replyTo is no message of this room', ctx),
          );
      },
      (error: unknown) => refusals.storeFailed(session, error, ctx),
    );
  }

  /** `edit`, `delete` or `react`. */
  change(session: Session, message: ChangeRequest): void | Promise<void> {
    switch (message.type) {
      case 'edit': {
        const text = checkText(message.text);
        return this.apply(session, message, { kind: 'edit', text: message.text }, text.ok ? undefined : text);
      }
      case 'delete':
        return this.apply(session, message, { kind: 'delete' });
      case 'react': {
        const emoji = checkEmoji(message.emoji);
        const op: ChangeOp = { kind: 'react', emoji: message.emoji, on: message.on };
        return this.apply(session, message, op, emoji.ok ? undefined : emoji);
      }
    }
  }

  /**
   * What a reply refers to, as it is now: null when `seq` is no message of
   * the room. Read before the send is stored: a message never leaves its
   * seq (a delete leaves a tombstone), so the answer holds at the commit.
   */
  async replyRef(room: string, seq: number): Promise<ReplyRef | null> {
    const target = await this.deps.store.message(room, seq);
    return target ? { seq, from: target.from, text: replySnippet(target.text) } : null;
  }

  /**
   * Answers a refused request: its first ack if this (user, id) has one (a
   * resend is answered so whatever it says now), else `reject`. Refusals are
   * rare and keep the order of answers: the queue waits for them.
   */
  refuse(session: Session, id: string, ctx: ErrorContext, reject: () => void): Promise<void> {
    const user = session.user as User;
    const find = () => this.deps.store.findAck(user.id, id);
    const first = this.writing.get(requestKey(user.id, id));
    return (first ? first.then(find, find) : find()).then(
      (ack) => {
        if (ack) session.reply({ type: 'ack', ...ack });
        else reject();
      },
      (error: unknown) => this.deps.refusals.storeFailed(session, error, ctx),
    );
  }

  private apply(
    session: Session,
    message: ChangeRequest,
    op: ChangeOp,
    invalid?: { code: ErrorCode; message: string },
  ): void | Promise<void> {
    const user = session.user as User;
    const { store, clock, budgets, refusals } = this.deps;
    const ctx = { room: message.room, id: message.id, request: message.type };
    if (!isValidRoomName(message.room))
      return this.refuse(session, message.id, ctx, () =>
        refusals.invalidRoom(session, message.room, message.id),
      );
    if (!session.rooms.includes(message.room))
      return this.refuse(session, message.id, ctx, () =>
        refusals.notInRoom(session, message.room, message.id),
      );
    if (invalid)
      return this.refuse(session, message.id, ctx, () => session.error(invalid.code, invalid.message, ctx));
    // One budget for sends and changes: each costs a commit and a fan-out.
    const bucket = budgets.sends.bucket(user.id, clock.monotonic());
    if (!bucket.take(clock.monotonic())) {
      const retryAfterMs = bucket.waitMs(clock.monotonic());
      return this.refuse(session, message.id, ctx, () =>
        session.rateLimited({ ...ctx, retryAfterMs }, 'too many messages and changes; slow down'),
      );
    }
    const change = { room: message.room, id: message.id, from: user, target: message.target, op };
    this.tracked(user.id, message.id, store.change({ ...change, ts: clock.now() })).then(
      (outcome) => {
        switch (outcome.kind) {
          case 'duplicate':
            bucket.refund();
            session.reply({ type: 'ack', ...outcome.ack });
            return;
          case 'unchanged':
            session.reply({ type: 'ack', ...outcome.ack });
            return;
          case 'refused':
            session.error(outcome.code, REFUSED[outcome.code], ctx);
            return;
          case 'changed':
            // The sender's ack goes before the update on its connection.
            session.reply({
              type: 'ack',
              room: message.room,
              id: message.id,
              seq: outcome.seq,
              ts: outcome.ts,
            });
            this.deps.rooms.changed(outcome.seq, outcome.message);
            return;
        }
      },
      (error: unknown) => refusals.storeFailed(session, error, ctx),
    );
  }
}

function requestKey(userId: string, id: string): string {
  return `${userId}\n${id}`;
}
