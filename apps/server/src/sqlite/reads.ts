/**
 * Messages as stored on SQLite, read into their current state: the row, its
 * reactions (their own table) and the message it replies to. Used by the
 * store's reads and by the writer, which answers a change with the state it
 * just made, inside the same transaction.
 */
// Subpaths, not the package: the writer thread loads this module, and the
// whole package (schemas, the TypeBox compiler) would delay its first write.
import type { Message, Reaction } from '@tether/protocol';
import { LIMITS } from '@tether/protocol/constants';
import { replySnippet } from '@tether/protocol/rules';
import type Database from 'better-sqlite3';

export interface MessageRow {
  room: string;
  seq: number;
  ts: number;
  client_id: string;
  user_id: string;
  user_name: string;
  text: string;
  rev: number;
  edited: number | null;
  deleted: number;
  reply_to: number | null;
}

interface ReactionRow {
  seq: number;
  emoji: string;
  user_id: string;
}

interface ReplyRow {
  seq: number;
  user_id: string;
  user_name: string;
  text: string;
}

export const MESSAGE_COLUMNS =
  'room, seq, ts, client_id, user_id, user_name, text, rev, edited, deleted, reply_to';

/**
 * Groups one message's reaction rows (in event order) into the wire form:
 * emoji in the order first used, exact counts, the earliest users.
 */
export function groupReactions(rows: readonly { emoji: string; user_id: string }[]): Reaction[] {
  const byEmoji = new Map<string, Reaction>();
  for (const row of rows) {
    let reaction = byEmoji.get(row.emoji);
    if (!reaction) {
      reaction = { emoji: row.emoji, count: 0, users: [] };
      byEmoji.set(row.emoji, reaction);
    }
    reaction.count++;
    if (reaction.users.length < LIMITS.MAX_REACTION_USERS) reaction.users.push(row.user_id);
  }
  return [...byEmoji.values()];
}

export class MessageReader {
  private readonly stmt;

  constructor(db: Database.Database) {
    this.stmt = {
      one: db.prepare<[string, number], MessageRow>(
        `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE room = ? AND seq = ?`,
      ),
      reactions: db.prepare<[string, string], ReactionRow>(
        'SELECT seq, emoji, user_id FROM reactions WHERE room = ? AND seq IN (SELECT value FROM json_each(?)) ' +
          'ORDER BY seq, ord',
      ),
      reply: db.prepare<[string, number], ReplyRow>(
        'SELECT seq, user_id, user_name, text FROM messages WHERE room = ? AND seq = ?',
      ),
    };
  }

  /** One message in its current state, or null. */
  one(room: string, seq: number): Message | null {
    const row = this.stmt.one.get(room, seq);
    return row ? (this.messages([row])[0] ?? null) : null;
  }

  /** Rows of one room, in the order given, into messages. */
  messages(rows: readonly MessageRow[]): Message[] {
    const room = rows[0]?.room;
    if (room === undefined) return [];
    // Only a message that changed can hold reactions (each one is an event).
    const changed = rows.filter((row) => row.rev !== row.seq && !row.deleted).map((row) => row.seq);
    const reactions = new Map<number, ReactionRow[]>();
    if (changed.length > 0) {
      for (const row of this.stmt.reactions.all(room, JSON.stringify(changed))) {
        const list = reactions.get(row.seq);
        if (list) list.push(row);
        else reactions.set(row.seq, [row]);
      }
    }
    const replies = new Map<number, ReplyRow | null>();
    return rows.map((row) => {
      const message = toMessage(row);
      const own = reactions.get(row.seq);
      if (own) message.reactions = groupReactions(own);
      if (row.reply_to !== null) {
        let target = replies.get(row.reply_to);
        if (target === undefined) {
          target = this.stmt.reply.get(room, row.reply_to) ?? null;
          replies.set(row.reply_to, target);
        }
        // A reply whose message retention removed keeps no reference.
        if (target) {
          message.replyTo = {
            seq: target.seq,
            from: { id: target.user_id, name: target.user_name },
            text: replySnippet(target.text),
          };
        }
      }
      return message;
    });
  }
}

function toMessage(row: MessageRow): Message {
  const message: Message = {
    room: row.room,
    seq: row.seq,
    ts: row.ts,
    id: row.client_id,
    from: { id: row.user_id, name: row.user_name },
    text: row.text,
    rev: row.rev,
  };
  if (row.deleted) message.deleted = true;
  else if (row.edited !== null) message.edited = row.edited;
  return message;
}
