/**
 * The threads of SqliteStore, each with its own connection to the database
 * file. The writer runs each posted write (a group commit, a user, a room, the
 * probe) in order and answers after it committed. The checkpointer copies the
 * WAL into the database file every CHECKPOINT_EVERY_MS, so that work and its
 * fsync hold up no commit (measured at 20,000 appends/s: with the writer's own
 * auto-checkpoints the slowest commit of each second took 11–55 ms, with this
 * thread 9–19 ms; commits took about 5 ms either way).
 */
import { parentPort, workerData } from 'node:worker_threads';

import {
  SqliteWriter,
  openDatabase,
  type WriteOutcome,
  type WriteRequest,
  type WriteResult,
} from './writer.js';

export interface WorkerInit {
  file: string;
  role: 'writer' | 'checkpointer';
}

const CHECKPOINT_EVERY_MS = 100;
/**
 * The writer checkpoints by itself only when the WAL grew this far (pages,
 * 40 MiB): when readers kept the checkpointer from ever finishing.
 */
const WRITER_AUTOCHECKPOINT_PAGES = 10_000;

export type ToWriter = { id: number; request: WriteRequest } | { id: number; close: true };

export type FromWriter =
  | { id: number; ok: true; result: WriteResult }
  | { id: number; ok: false; message: string; code: string | undefined };

const port = parentPort;
if (!port) throw new Error('sqlite/worker.ts runs as a worker thread');
const { file, role } = workerData as WorkerInit;
const db = openDatabase(file);
const writer = role === 'writer' ? new SqliteWriter(db) : undefined;
if (writer) db.pragma(`wal_autocheckpoint = ${WRITER_AUTOCHECKPOINT_PAGES}`);
// PASSIVE: copies what no reader still needs, never waits on the writer or readers.
const checkpoints = writer
  ? undefined
  : setInterval(() => {
      try {
        db.pragma('wal_checkpoint(PASSIVE)');
      } catch {
        // A full disk or an I/O error: the next round tries again, and no
        // commit depends on it.
      }
    }, CHECKPOINT_EVERY_MS);

/** Writes that arrived since the last commit: they share the next one. */
let queue: ToWriter[] = [];
let scheduled = false;

function answer(id: number, outcome: WriteOutcome): FromWriter {
  if (outcome.ok) return { id, ok: true, result: outcome.result };
  const { error } = outcome;
  // Errors lose their own fields crossing threads; keep SQLite's code.
  const code = (error as { code?: unknown }).code;
  return {
    id,
    ok: false,
    message: error instanceof Error ? error.message : String(error),
    code: typeof code === 'string' ? code : undefined,
  };
}

function drain(): void {
  scheduled = false;
  const batch = queue;
  queue = [];
  const writes: { id: number; request: WriteRequest }[] = [];
  let close: number | undefined;
  for (const message of batch) {
    if ('close' in message) close = message.id;
    else writes.push(message);
  }
  if (writes.length > 0) {
    if (!writer) throw new Error('the checkpointer takes no writes');
    const outcomes = writer.handleAll(writes.map((w) => w.request));
    // One message back for the whole group.
    port?.postMessage(writes.map((w, i) => answer(w.id, outcomes[i] as WriteOutcome)) satisfies FromWriter[]);
  }
  if (close !== undefined) {
    clearInterval(checkpoints);
    db.close();
    port?.postMessage([{ id: close, ok: true, result: null }] satisfies FromWriter[]);
    port?.close();
  }
}

port.on('message', (messages: ToWriter[]) => {
  for (const message of messages) queue.push(message);
  if (!scheduled) {
    scheduled = true;
    // Every message already waiting on the port arrives before this runs.
    setImmediate(drain);
  }
});
