/**
 * One group commit of messages on PostgreSQL: one statement, one round trip,
 * one transaction.
 *
 * For every message of the batch the statement finds an earlier message
 * with the same (user, id) (a resend: answered with its first ack), numbers
 * the others per room after the room's seq, which it raises in the same
 * statement, and stores each under the name its sender holds at the commit.
 *
 * Several processes append to one room at once: raising `rooms.seq` locks
 * the room's row until the commit, so the next batch of any process counts
 * from the committed value, and each room's seqs have no gap and no repeat.
 * Rows are locked in room-name order, so two batches cannot deadlock.
 * Two processes storing the same (user, id) at the same moment (a resend
 * racing its original) make one statement fail on the unique index; the
 * batch is then run again and finds the first as an earlier message.
 *
 * The statement is prepared once per connection and its plan kept, one made
 * while the tables were small or a generic one that guesses 10 rows for any
 * batch: so each step is written to cost in proportion to the batch however
 * it is planned. The lookups (earlier answers, senders' names) are probes of
 * unique indexes per message, made before the rooms are locked; while they
 * are locked only the numbering and the insert run. As joins, a plan cached
 * early read the whole messages table for every batch (a batch of 200 took
 * 8.5 ms at the start of a table and 22 ms at 80,000 rows), and a generic
 * one could repeat the senders' lookup for every message of the batch.
 */
import type pg from 'pg';

import type { NewMessage } from '../chat/ports.js';
import type { SendCommitted as Committed } from '../util/group-commit.js';
import { isUniqueViolation } from './connection.js';

/** The statement (exported so that a test can look at its plan). */
export const APPEND = `
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::boolean[], $8::bigint[])
    WITH ORDINALITY AS t(room, client_id, user_id, user_name, ts, text, text_json, reply_to, ord)
),
probed AS (
  -- An earlier answer to the same (user, id), through the two unique indexes
  -- (one id space for sends and changes: a change's key answers a send too),
  -- and the name the sender holds, by primary key.
  SELECT i.*, k.room AS earlier_room, k.seq AS earlier_seq, k.ts AS earlier_ts,
         coalesce((SELECT u.name FROM users u WHERE u.id = i.user_id), i.user_name) AS held_name
  FROM input i LEFT JOIN LATERAL (
    SELECT m.room, m.seq, m.ts FROM messages m WHERE m.user_id = i.user_id AND m.client_id = i.client_id
    UNION ALL
    SELECT c.room, c.seq, c.ts FROM changes c WHERE c.user_id = i.user_id AND c.client_id = i.client_id
    LIMIT 1
  ) k ON true
),
fresh AS (
  SELECT * FROM probed WHERE earlier_seq IS NULL
),
raised AS (
  INSERT INTO rooms AS r (name, epoch, seq)
  SELECT room, 'e_' || substr(md5(random()::text || room), 1, 16), count(*) FROM fresh GROUP BY room ORDER BY room
  ON CONFLICT (name) DO UPDATE SET seq = r.seq + EXCLUDED.seq
  RETURNING r.name, r.seq
),
numbered AS (
  -- Each room's raised seq from one map, made once (an uncorrelated scalar
  -- subquery): a join could be planned as a nested loop, messages times
  -- rooms, while the rooms are locked.
  SELECT f.room, f.client_id, f.user_id, f.ts, f.text, f.text_json, f.reply_to, f.ord, f.held_name,
         ((SELECT jsonb_object_agg(name, seq) FROM raised) ->> f.room)::bigint
           - count(*) OVER per_room + row_number() OVER (per_room ORDER BY f.ord) AS seq
  FROM fresh f
  WINDOW per_room AS (PARTITION BY f.room)
),
stored AS (
  INSERT INTO messages (room, seq, ts, client_id, user_id, user_name, text, text_json, rev, reply_to)
  SELECT room, seq, ts, client_id, user_id, held_name, text, text_json, seq, reply_to FROM numbered
)
SELECT ord, seq, held_name AS name, NULL::text AS room, NULL::bigint AS ts FROM numbered
UNION ALL
SELECT ord, earlier_seq, NULL, earlier_room, earlier_ts FROM probed WHERE earlier_seq IS NOT NULL`;

interface Row {
  ord: number;
  seq: number;
  /** The sender's name at the commit, for a message stored now. */
  name: string | null;
  /** For an earlier message: its room and time. */
  room: string | null;
  ts: number | null;
}

/**
 * Stores the batch; one `Committed` per message, in order. A message whose
 * (user, id) appears earlier in the same batch is answered as a resend of
 * that one.
 */
export async function appendBatch(
  db: Queryable,
  messages: readonly NewMessage[],
  retry = true,
): Promise<Committed[]> {
  // The first of each (user, id) goes to the database; the others are resends within the batch.
  const firstOf = new Map<string, number>();
  const unique: NewMessage[] = [];
  const slot = messages.map((m) => {
    const key = `${m.from.id}\u0000${m.id}`;
    let at = firstOf.get(key);
    if (at === undefined) {
      at = unique.length;
      firstOf.set(key, at);
      unique.push(m);
    }
    return at;
  });
  const committed = await runAppend(db, unique, retry);
  return messages.map((m, i) => {
    const at = slot[i] as number;
    const outcome = committed[at] as Committed;
    if (unique[at] === m) return outcome;
    // A resend inside the batch: the ack of the first.
    return typeof outcome === 'object' && !Array.isArray(outcome)
      ? outcome
      : {
          room: (unique[at] as NewMessage).room,
          id: m.id,
          seq: seqOf(outcome),
          ts: (unique[at] as NewMessage).ts,
        };
  });
}

/** PostgreSQL text cannot hold U+0000: such a text goes in as its JSON literal (see `text_json`). */
export function storedText(text: string): string {
  return text.includes('\u0000') ? JSON.stringify(text) : text;
}

function seqOf(committed: number | [number, string]): number {
  return typeof committed === 'number' ? committed : committed[0];
}

/** A pool (a statement in a transaction of its own) or a client inside a transaction. */
export type Queryable = Pick<pg.Pool, 'query'>;

async function runAppend(
  db: Queryable,
  messages: readonly NewMessage[],
  retry: boolean,
): Promise<Committed[]> {
  if (messages.length === 0) return [];
  const values = [
    messages.map((m) => m.room),
    messages.map((m) => m.id),
    messages.map((m) => m.from.id),
    messages.map((m) => m.from.name),
    messages.map((m) => m.ts),
    messages.map((m) => storedText(m.text)),
    messages.map((m) => m.text.includes('\u0000')),
    messages.map((m) => m.replyTo?.seq ?? null),
  ];
  let rows: Row[];
  try {
    rows = (await db.query<Row>({ name: 'tether_append', text: APPEND, values })).rows;
  } catch (error) {
    // A resend committed by another process a moment ago: run again, it is found now.
    // (Inside a larger transaction the caller runs it all again instead.)
    if (!retry || !isUniqueViolation(error, 'messages_by_sender_id')) throw error;
    rows = (await db.query<Row>({ name: 'tether_append', text: APPEND, values })).rows;
  }
  const out: Committed[] = new Array<Committed>(messages.length);
  for (const row of rows) {
    const i = row.ord - 1;
    const m = messages[i] as NewMessage;
    if (row.room !== null) {
      out[i] = { room: row.room, id: m.id, seq: row.seq, ts: row.ts ?? 0 };
    } else {
      out[i] = row.name === null || row.name === m.from.name ? row.seq : [row.seq, row.name];
    }
  }
  return out;
}
