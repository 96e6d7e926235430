/**
 * Messages as stored on PostgreSQL, read into their current state in one
 * statement: the row, the message it replies to and its reactions (only for
 * a message that changed: each reaction is an event, so a message whose rev
 * is its seq has none). The reactions are the query of `tether_reactions`
 * (changes-sql.ts) written in place, a subquery planned once with the
 * statement: the function's query was planned again at every statement that
 * called it (about 0.15 ms, a third of a resume of 10 in a room with edits).
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

/**
 * `FROM messages m` with what a Message needs; add WHERE and ORDER on `m`.
 *
 * The replied-to message is looked up per row, by primary key, in a
 * LATERAL subquery that LIMIT keeps the planner from flattening into a join.
 * As a plain self-join it was planned, on a table not yet analyzed (a fresh
 * database, or one that grew since autovacuum last looked), as a nested loop
 * over a materialized copy of the whole room, filtered again for every row
 * of the page: a `latest` of 50 in a room of 5,500 cost 4.5 ms of
 * PostgreSQL CPU instead of 0.1, growing with the room. (With a LIMIT the
 * subquery can only be run per row: a probe of the primary key, or none
 * when the message replies to nothing.) Wrap the whole in a LATERAL with a
 * LIMIT the same way when joining it to a list of seqs.
 */
export const SELECT_MESSAGES = `SELECT m.room, m.seq, m.ts, m.client_id, m.user_id, m.user_name, m.text, m.text_json,
  m.rev, m.edited, m.deleted,
  r.seq AS reply_seq, r.user_id AS reply_user_id, r.user_name AS reply_user_name,
  r.text AS reply_text, r.text_json AS reply_text_json,
  CASE WHEN m.rev <> m.seq AND NOT m.deleted THEN (
    SELECT jsonb_agg(jsonb_build_object('emoji', g.emoji, 'count', g.n, 'users', to_jsonb(g.users)) ORDER BY g.first)
    FROM (
      SELECT x.emoji, count(*) AS n, min(x.ord) AS first,
             (array_agg(x.user_id ORDER BY x.ord))[1:${LIMITS.MAX_REACTION_USERS}] AS users
      FROM reactions x WHERE x.room = m.room AND x.seq = m.seq GROUP BY x.emoji
    ) g
  ) END AS reactions
FROM messages m LEFT JOIN LATERAL (
  SELECT r.seq, r.user_id, r.user_name, r.text, r.text_json FROM messages r
  WHERE r.room = m.room AND r.seq = m.reply_to LIMIT 1
) r ON true`;

/**
 * The store's reads of messages, by the name each is prepared under (once per
 * connection). Exported so that a test can look at their plans.
 */
export const READS = {
  /** $1 room, $2 seq. */
  tether_message: `${SELECT_MESSAGES} WHERE m.room = $1 AND m.seq = $2`,
  /**
   * $1 room, $2 since, $3 limit: the events after `since` in seq order, each
   * with its message's current state (null when retention removed it). One
   * statement: the events and the states come from one snapshot. Each event's
   * message by primary key (LIMIT: not flattened into a join, see
   * SELECT_MESSAGES; flattened, it was planned as a scan of the whole room
   * per event).
   */
  tether_events:
    `WITH e AS (SELECT seq AS event_seq, seq AS target FROM messages WHERE room = $1 AND seq > $2 ` +
    `UNION ALL SELECT seq, target FROM changes WHERE room = $1 AND seq > $2 AND event ORDER BY 1 LIMIT $3) ` +
    `SELECT e.event_seq, x.* FROM e LEFT JOIN LATERAL (${SELECT_MESSAGES} WHERE m.room = $1 AND m.seq = e.target LIMIT 1) x ON true ` +
    'ORDER BY e.event_seq',
  /** $1 room, $2 limit: newest first. */
  tether_latest: `${SELECT_MESSAGES} WHERE m.room = $1 ORDER BY m.seq DESC LIMIT $2`,
  /**
   * $1 room, $2 since, $3 limit: the messages whose rev is past `since`,
   * newest first, in one statement (one round trip, one snapshot).
   *
   * Every message with seq > since has rev > since: the newest come from the
   * seq range, and their rows from one range of the primary key, bounded by
   * the lowest of their seqs alone (every message from it up is one of
   * them), so no plan reads further; its LIMIT keeps the estimate at a page
   * (estimated at a third of the room, the statement was JIT-compiled: 20 ms
   * for a read of 1.5). Only when they leave room (a one-time filter: not
   * even started otherwise), the older messages changed since: the targets
   * of the change events past `since` (a message's rev is the seq of the
   * last event that changed it), through changes_by_event as `events` reads
   * them, each kept if retention left it (a probe per target: as EXISTS, it
   * could be planned as a walk of the room), the highest read by primary
   * key. So the work follows the page and the events since the resume
   * point, never the room. (Asked for the top seqs of new and changed
   * messages in one ordered scan, the planner walked the primary key back
   * through the whole room: 1.3 s in a room of 100,000. Through the
   * (room, rev) index, since dropped, the changed ones cost a second round
   * trip, and that index could take a lookup by (room, seq): see schema.ts.)
   */
  tether_after:
    `WITH newer AS MATERIALIZED (SELECT seq FROM messages WHERE room = $1 AND seq > $2 ORDER BY seq DESC LIMIT $3), ` +
    'older AS MATERIALIZED (SELECT DISTINCT c.target AS seq FROM changes c ' +
    'CROSS JOIN LATERAL (SELECT 1 FROM messages m WHERE m.room = $1 AND m.seq = c.target LIMIT 1) present ' +
    'WHERE c.room = $1 AND c.seq > $2 AND c.event AND c.target <= $2 AND (SELECT count(*) FROM newer) < $3), ' +
    'older_top AS (SELECT seq FROM older ORDER BY seq DESC LIMIT $3) ' +
    `(${SELECT_MESSAGES} WHERE m.room = $1 AND m.seq >= (SELECT min(seq) FROM newer) ORDER BY m.seq DESC LIMIT $3) ` +
    `UNION ALL SELECT x.* FROM older_top CROSS JOIN LATERAL (${SELECT_MESSAGES} WHERE m.room = $1 AND m.seq = older_top.seq LIMIT 1) x ` +
    'ORDER BY seq DESC LIMIT $3',
  /** $1 room, $2 before, $3 limit: newest first. */
  tether_before: `${SELECT_MESSAGES} WHERE m.room = $1 AND m.seq < $2 ORDER BY m.seq DESC LIMIT $3`,
} as const;

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
