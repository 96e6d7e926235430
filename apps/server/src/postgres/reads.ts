/**
 * Messages as stored on PostgreSQL, read into their current state in one
 * statement: the row, the message it replies to (a join) and its reactions
 * (`tether_reactions`, only for a message that changed: each reaction is an
 * event, so a message whose rev is its seq has none).
 */
import { LIMITS, replySnippet, type Message, type Reaction } from '@tether/protocol';

export interface MessageRow {
  room: string;
  seq: number;
  ts: number;
  client_id: string;
  user_id: string;
  user_name: string;
  text: string;
  text_json: boolean;
  rev: number;
  edited: number | null;
  deleted: boolean;
  reply_seq: number | null;
  reply_user_id: string | null;
  reply_user_name: string | null;
  reply_text: string | null;
  reply_text_json: boolean | null;
  reactions: Reaction[] | null;
}

/** `FROM messages m` with what a Message needs; add WHERE and ORDER on `m`. */
export const SELECT_MESSAGES = `SELECT m.room, m.seq, m.ts, m.client_id, m.user_id, m.user_name, m.text, m.text_json,
  m.rev, m.edited, m.deleted,
  r.seq AS reply_seq, r.user_id AS reply_user_id, r.user_name AS reply_user_name,
  r.text AS reply_text, r.text_json AS reply_text_json,
  CASE WHEN m.rev <> m.seq AND NOT m.deleted THEN tether_reactions(m.room, m.seq, ${LIMITS.MAX_REACTION_USERS}) END AS reactions
FROM messages m LEFT JOIN messages r ON r.room = m.room AND r.seq = m.reply_to`;

/** PostgreSQL text cannot hold U+0000: such a text is stored as its JSON literal (see `text_json`). */
export function readText(text: string, json: boolean | null): string {
  return json ? (JSON.parse(text) as string) : text;
}

export function toMessage(row: MessageRow): Message {
  const message: Message = {
    room: row.room,
    seq: row.seq,
    ts: row.ts,
    id: row.client_id,
    from: { id: row.user_id, name: row.user_name },
    text: readText(row.text, row.text_json),
    rev: row.rev,
  };
  if (row.deleted) message.deleted = true;
  else if (row.edited !== null) message.edited = row.edited;
  if (row.reply_seq !== null && row.reply_user_id !== null && row.reply_user_name !== null) {
    message.replyTo = {
      seq: row.reply_seq,
      from: { id: row.reply_user_id, name: row.reply_user_name },
      text: replySnippet(readText(row.reply_text ?? '', row.reply_text_json)),
    };
  }
  if (row.reactions) message.reactions = row.reactions;
  return message;
}
