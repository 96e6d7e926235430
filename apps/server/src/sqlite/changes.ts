/**
 * A change (edit, delete, react) applied inside the writer's group commit,
 * in arrival order with the sends around it. Every rule that depends on the
 * state the change meets is checked here, where nothing can come between
 * the check and the write: the target's existence, its author, a tombstone,
 * the emoji limit, whether anything changes at all.
 */
// A subpath, not the package: see reads.ts (this module runs in the writer thread).
import { ERROR_CODES, LIMITS } from '@tether/protocol/constants';
import type Database from 'better-sqlite3';

import type { AckRecord, ChangeOutcome, NewChange } from '../chat/ports.js';
import type { MessageReader } from './reads.js';

interface TargetRow {
  user_id: string;
  text: string;
  rev: number;
  deleted: number;
}

/** Where the batch's seqs are counted: the room's last seq, and the new one once taken. */
export interface SeqCounter {
  last(room: string): number;
  taken(room: string, seq: number): void;
}

export class SqliteChanges {
  private readonly stmt;

  constructor(
    db: Database.Database,
    private readonly reader: MessageReader,
  ) {
    this.stmt = {
      messageAck: db.prepare<[string, string], AckRecord>(
        'SELECT room, client_id AS id, seq, ts FROM messages WHERE user_id = ? AND client_id = ?',
      ),
      changeAck: db.prepare<[string, string], AckRecord>(
        'SELECT room, client_id AS id, seq, ts FROM changes WHERE user_id = ? AND client_id = ?',
      ),
      target: db.prepare<[string, number], TargetRow>(
        'SELECT user_id, text, rev, deleted FROM messages WHERE room = ? AND seq = ?',
      ),
      reacted: db.prepare<[string, number, string, string], { one: number }>(
        'SELECT 1 AS one FROM reactions WHERE room = ? AND seq = ? AND emoji = ? AND user_id = ?',
      ),
      emojiHeld: db.prepare<[string, number, string], { one: number }>(
        'SELECT 1 AS one FROM reactions WHERE room = ? AND seq = ? AND emoji = ? LIMIT 1',
      ),
      emojiCount: db.prepare<[string, number], { n: number }>(
        'SELECT count(DISTINCT emoji) AS n FROM reactions WHERE room = ? AND seq = ?',
      ),
      addReaction: db.prepare<[string, number, string, string, number]>(
        'INSERT INTO reactions (room, seq, emoji, user_id, ord) VALUES (?, ?, ?, ?, ?)',
      ),
      removeReaction: db.prepare<[string, number, string, string]>(
        'DELETE FROM reactions WHERE room = ? AND seq = ? AND emoji = ? AND user_id = ?',
      ),
      dropReactions: db.prepare<[string, number]>('DELETE FROM reactions WHERE room = ? AND seq = ?'),
      edit: db.prepare<[string, number, number, string, number]>(
        'UPDATE messages SET text = ?, edited = ?, rev = ? WHERE room = ? AND seq = ?',
      ),
      erase: db.prepare<[number, string, number]>(
        "UPDATE messages SET text = '', edited = NULL, deleted = 1, rev = ? WHERE room = ? AND seq = ?",
      ),
      bump: db.prepare<[number, string, number]>('UPDATE messages SET rev = ? WHERE room = ? AND seq = ?'),
      remember: db.prepare<[string, string, string, number, number, number, number]>(
        'INSERT INTO changes (user_id, client_id, room, seq, ts, target, event) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
    };
  }

  /** The first answer to this (user, id), a send's or a change's. */
  earlierAck(userId: string, id: string): AckRecord | undefined {
    return this.stmt.changeAck.get(userId, id) ?? this.stmt.messageAck.get(userId, id);
  }

  /** The ack of an earlier change with this (user, id) (a send's key is found by its own insert). */
  changeAck(userId: string, id: string): AckRecord | undefined {
    return this.stmt.changeAck.get(userId, id);
  }

  apply(c: NewChange, seqs: SeqCounter): ChangeOutcome {
    const earlier = this.earlierAck(c.from.id, c.id);
    if (earlier) return { kind: 'duplicate', ack: earlier };
    const target = this.stmt.target.get(c.room, c.target);
    if (!target) return { kind: 'refused', code: ERROR_CODES.NOT_FOUND };
    const change = this.decide(c, target);
    if (change === 'unchanged') {
      this.stmt.remember.run(c.from.id, c.id, c.room, target.rev, c.ts, c.target, 0);
      return { kind: 'unchanged', ack: { room: c.room, id: c.id, seq: target.rev, ts: c.ts } };
    }
    if (change !== 'change') return { kind: 'refused', code: change };
    const seq = seqs.last(c.room) + 1;
    seqs.taken(c.room, seq);
    this.write(c, seq);
    this.stmt.remember.run(c.from.id, c.id, c.room, seq, c.ts, c.target, 1);
    const message = this.reader.one(c.room, c.target);
    if (!message) throw new Error(`message ${c.room}/${c.target} vanished inside its change`);
    return { kind: 'changed', seq, ts: c.ts, message };
  }

  /** What the change does to the state it meets. */
  private decide(
    c: NewChange,
    target: TargetRow,
  ):
    | 'change'
    | 'unchanged'
    | typeof ERROR_CODES.NOT_FOUND
    | typeof ERROR_CODES.FORBIDDEN
    | typeof ERROR_CODES.TOO_MANY_REACTIONS {
    const op = c.op;
    switch (op.kind) {
      case 'edit':
        if (target.deleted) return ERROR_CODES.NOT_FOUND;
        if (target.user_id !== c.from.id) return ERROR_CODES.FORBIDDEN;
        return target.text === op.text ? 'unchanged' : 'change';
      case 'delete':
        // Whether one may delete does not depend on the state: a stranger is refused a tombstone too.
        if (target.user_id !== c.from.id) return ERROR_CODES.FORBIDDEN;
        return target.deleted ? 'unchanged' : 'change';
      case 'react': {
        if (target.deleted) return ERROR_CODES.NOT_FOUND;
        const there = this.stmt.reacted.get(c.room, c.target, op.emoji, c.from.id) !== undefined;
        if (there === op.on) return 'unchanged';
        if (
          op.on &&
          this.stmt.emojiHeld.get(c.room, c.target, op.emoji) === undefined &&
          (this.stmt.emojiCount.get(c.room, c.target)?.n ?? 0) >= LIMITS.MAX_REACTION_EMOJI
        ) {
          return ERROR_CODES.TOO_MANY_REACTIONS;
        }
        return 'change';
      }
    }
  }

  private write(c: NewChange, seq: number): void {
    const op = c.op;
    switch (op.kind) {
      case 'edit':
        this.stmt.edit.run(op.text, c.ts, seq, c.room, c.target);
        return;
      case 'delete':
        // The text is overwritten, not flagged: with secure_delete its bytes are zeroed in the page.
        this.stmt.erase.run(seq, c.room, c.target);
        this.stmt.dropReactions.run(c.room, c.target);
        return;
      case 'react':
        if (op.on) this.stmt.addReaction.run(c.room, c.target, op.emoji, c.from.id, seq);
        else this.stmt.removeReaction.run(c.room, c.target, op.emoji, c.from.id);
        this.stmt.bump.run(seq, c.room, c.target);
        return;
    }
  }
}
