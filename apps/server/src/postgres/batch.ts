/**
 * One group commit on PostgreSQL. A group of sends only is one statement
 * (append.ts), as before. A group that holds changes is one transaction:
 * the rooms it touches are locked first, in name order (so two processes
 * cannot deadlock on them), then each run of consecutive sends is one
 * append statement and each run of consecutive changes one call of
 * `tether_apply_changes`, in arrival order, so seqs follow arrival; then one
 * read of the changed messages' states. Several statements, because a
 * change must see what the sends and changes before it in the group did,
 * which a single set-based statement cannot (every part of it reads the
 * state from before the statement).
 */
import { ERROR_CODES, LIMITS, type Message } from '@tether/protocol';
import type pg from 'pg';

import type { AckRecord, ChangeOutcome, NewChange, NewMessage } from '../chat/ports.js';
import type { BatchItem, Committed } from '../util/group-commit.js';
import { appendBatch, storedText } from './append.js';
import { APPLY_CHANGES } from './changes-sql.js';
import { isUniqueViolation } from './connection.js';
import { SELECT_MESSAGES, toMessage, type MessageRow } from './reads.js';

interface ChangeRow {
  ord: number;
  status: string;
  room: string;
  seq: number | null;
  ts: number;
}

/** A resend racing its original on another process, or two groups crossing on new rooms: run again. */
const DEADLOCK = '40P01';
const ATTEMPTS = 3;

function retryable(error: unknown): boolean {
  return isUniqueViolation(error) || (error as { code?: unknown }).code === DEADLOCK;
}

export async function commitMixed(pool: pg.Pool, items: readonly BatchItem[]): Promise<Committed[]> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const committed = await runGroup(client, items);
      await client.query('COMMIT');
      return committed;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      if (attempt >= ATTEMPTS || !retryable(error)) throw error;
    } finally {
      client.release();
    }
  }
}

async function runGroup(client: pg.PoolClient, items: readonly BatchItem[]): Promise<Committed[]> {
  const rooms = [
    ...new Set(items.map((item) => (item.kind === 'send' ? item.message.room : item.change.room))),
  ];
  await client.query('SELECT name FROM rooms WHERE name = ANY($1::text[]) ORDER BY name FOR UPDATE', [rooms]);
  const out: (Committed | PendingChange)[] = new Array<Committed | PendingChange>(items.length);
  for (let start = 0; start < items.length;) {
    const kind = (items[start] as BatchItem).kind;
    let end = start;
    while (end < items.length && (items[end] as BatchItem).kind === kind) end++;
    const run = items.slice(start, end);
    const answers =
      kind === 'send'
        ? await appendBatch(
            client,
            run.map((item) => (item as { message: NewMessage }).message),
            false,
          )
        : await applyChanges(
            client,
            run.map((item) => (item as { change: NewChange }).change),
          );
    answers.forEach((answer, i) => (out[start + i] = answer));
    start = end;
  }
  return fillStates(client, out);
}

/** A change stored now, whose message state is read once the group's changes are all in. */
interface PendingChange {
  kind: 'pending';
  seq: number;
  ts: number;
  room: string;
  target: number;
}

async function applyChanges(
  client: pg.PoolClient,
  changes: readonly NewChange[],
): Promise<(ChangeOutcome | PendingChange)[]> {
  const values = [
    changes.map((c) => c.room),
    changes.map((c) => c.id),
    changes.map((c) => c.from.id),
    changes.map((c) => c.ts),
    changes.map((c) => c.target),
    changes.map((c) => c.op.kind),
    changes.map((c) => (c.op.kind === 'edit' ? storedText(c.op.text) : null)),
    changes.map((c) => c.op.kind === 'edit' && c.op.text.includes('\u0000')),
    changes.map((c) => (c.op.kind === 'react' ? c.op.emoji : null)),
    changes.map((c) => (c.op.kind === 'react' ? c.op.on : null)),
    LIMITS.MAX_REACTION_EMOJI,
  ];
  const { rows } = await client.query<ChangeRow>({
    name: 'tether_apply_changes',
    text: APPLY_CHANGES,
    values,
  });
  return rows.map((row): ChangeOutcome | PendingChange => {
    const c = changes[row.ord - 1] as NewChange;
    const ack = (): AckRecord => ({ room: row.room, id: c.id, seq: row.seq ?? 0, ts: row.ts });
    switch (row.status) {
      case 'duplicate':
        return { kind: 'duplicate', ack: ack() };
      case 'unchanged':
        return { kind: 'unchanged', ack: ack() };
      case 'changed':
        return { kind: 'pending', seq: row.seq ?? 0, ts: row.ts, room: c.room, target: c.target };
      case ERROR_CODES.NOT_FOUND:
      case ERROR_CODES.FORBIDDEN:
      case ERROR_CODES.TOO_MANY_REACTIONS:
        return { kind: 'refused', code: row.status };
      default:
        throw new Error(`tether_apply_changes answered ${row.status}`);
    }
  });
}

/**
 * Reads the state of every message changed in the group, after all of the
 * group's changes: a message changed twice in one group is shown in its last
 * state by both updates (a client applies state by rev).
 */
async function fillStates(
  client: pg.PoolClient,
  out: readonly (Committed | PendingChange)[],
): Promise<Committed[]> {
  const pending = out.filter(
    (c): c is PendingChange => typeof c === 'object' && 'kind' in c && c.kind === 'pending',
  );
  const states = new Map<string, Message>();
  if (pending.length > 0) {
    const { rows } = await client.query<MessageRow>(
      // Each by primary key (see SELECT_MESSAGES on why LATERAL … LIMIT 1).
      `SELECT x.* FROM unnest($1::text[], $2::bigint[]) AS t(room, seq) ` +
        `CROSS JOIN LATERAL (${SELECT_MESSAGES} WHERE m.room = t.room AND m.seq = t.seq LIMIT 1) x`,
      [pending.map((c) => c.room), pending.map((c) => c.target)],
    );
    for (const row of rows) states.set(`${row.room}/${row.seq}`, toMessage(row));
  }
  return out.map((c): Committed => {
    if (typeof c !== 'object' || !('kind' in c) || c.kind !== 'pending') return c;
    const message = states.get(`${c.room}/${c.target}`);
    if (!message) throw new Error(`message ${c.room}/${c.target} vanished inside its change`);
    return { kind: 'changed', seq: c.seq, ts: c.ts, message };
  });
}
