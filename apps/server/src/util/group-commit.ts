/**
 * Group commit, for any store: every `append` made while no commit is
 * running joins the next transaction, started on the next `setImmediate`
 * and resolved only after it committed. One commit at a time: while one
 * runs, the next group gathers, so groups grow with the load. An fsync per
 * message would cap a busy server at the disk's fsync rate (or the
 * database's round trips); one per group keeps the same durability at a
 * fraction of the cost.
 *
 * Token and room touches (not acknowledged to anyone) ride along with the
 * next group instead of a transaction of their own.
 */
import type { AckRecord, AppendOutcome, ChangeOutcome, NewChange, NewMessage } from '../chat/ports.js';

/** One write of a group: a send or a change, in the order they arrived. */
export type BatchItem = { kind: 'send'; message: NewMessage } | { kind: 'change'; change: NewChange };

/** What one group commit writes. */
export interface CommitBatch {
  /** Sends and changes in arrival order: the commit numbers their events in this order. */
  items: BatchItem[];
  /** User id → new token expiry. */
  touches: [string, number][];
  /** Empty room → when someone last joined it. */
  roomTouches: [string, number][];
}

/**
 * How one append came out: its seq; its seq and the name its sender holds
 * at the commit, when that differs from `from.name`; or the earlier ack of
 * the same (user, id).
 */
export type SendCommitted = number | [seq: number, name: string] | AckRecord;

/** How one item came out: a send as above, a change as its outcome. */
export type Committed = SendCommitted | ChangeOutcome;

interface Pending {
  item: BatchItem;
  /** Answers the caller from what the commit said about its item. */
  settle: (committed: Committed) => void;
  reject: (error: unknown) => void;
}

export class GroupCommit {
  private pending: Pending[] = [];
  private touches = new Map<string, number>();
  private roomTouches = new Map<string, number>();
  private flushScheduled = false;
  /** The group commit on its way, if any: the next waits for it, so groups grow under load. */
  private committing: Promise<void> | undefined;
  private closed = false;
  /** The last commit failed: readiness should prove a write works again. */
  lastFailed = false;

  /** `commit` writes one batch in one transaction and answers one `Committed` per item, in order. */
  constructor(private readonly commit: (batch: CommitBatch) => Promise<Committed[]>) {}

  append(message: NewMessage): Promise<AppendOutcome> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    return new Promise((resolve, reject) => {
      const settle = (committed: Committed) => resolve(outcomeOf(message, committed as SendCommitted));
      this.pending.push({ item: { kind: 'send', message }, settle, reject });
      this.schedule();
    });
  }

  /** A change joins the same group as the sends around it, in arrival order. */
  change(change: NewChange): Promise<ChangeOutcome> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    return new Promise((resolve, reject) => {
      const settle = (committed: Committed) => resolve(committed as ChangeOutcome);
      this.pending.push({ item: { kind: 'change', change }, settle, reject });
      this.schedule();
    });
  }

  /** The user is in use: their token expiry moves to `expiresAt` (never back). */
  touchUser(userId: string, expiresAt: number): void {
    if (this.closed) return;
    this.touches.set(userId, Math.max(expiresAt, this.touches.get(userId) ?? 0));
    this.schedule();
  }

  /** Someone joined the empty room at `now`. */
  touchRoom(room: string, now: number): void {
    if (this.closed) return;
    this.roomTouches.set(room, now);
    this.schedule();
  }

  private schedule(): void {
    if (this.flushScheduled || this.committing || this.closed) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      void this.flush();
    });
  }

  /** Commits what gathered since the last group, then the next group if one gathered meanwhile. */
  private flush(): Promise<void> {
    if (this.committing) return this.committing;
    const batch = this.pending;
    const touches = this.touches;
    const roomTouches = this.roomTouches;
    if (!this.hasPending()) return Promise.resolve();
    this.pending = [];
    this.touches = new Map();
    this.roomTouches = new Map();
    const commit = this.commit({
      items: batch.map((p) => p.item),
      touches: [...touches],
      roomTouches: [...roomTouches],
    })
      .then(
        (outcomes) => {
          this.lastFailed = false;
          batch.forEach((p, i) => {
            const committed = outcomes[i];
            if (committed === undefined) p.reject(new Error('the commit did not answer for every item'));
            else p.settle(committed);
          });
        },
        (error: unknown) => {
          this.lastFailed = true;
          for (const p of batch) p.reject(error);
        },
      )
      .finally(() => {
        this.committing = undefined;
        if (!this.closed && this.hasPending()) this.schedule();
      });
    this.committing = commit;
    return commit;
  }

  private hasPending(): boolean {
    return this.pending.length > 0 || this.touches.size > 0 || this.roomTouches.size > 0;
  }

  /** Commits everything pending, then takes no more. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.committing || this.hasPending()) await this.flush();
  }
}

function outcomeOf(m: NewMessage, committed: SendCommitted): AppendOutcome {
  if (typeof committed === 'number' || Array.isArray(committed)) {
    const [seq, name] = typeof committed === 'number' ? [committed, m.from.name] : committed;
    const from = name === m.from.name ? m.from : { id: m.from.id, name };
    // A new message was never changed: its rev is its seq.
    const message = { room: m.room, seq, ts: m.ts, id: m.id, from, text: m.text, rev: seq };
    return { kind: 'stored', message: m.replyTo ? { ...message, replyTo: m.replyTo } : message };
  }
  return { kind: 'duplicate', ack: committed };
}
