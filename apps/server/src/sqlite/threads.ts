/**
 * Where SqliteStore's writes run: inline on the store's own connection (for
 * `:memory:`, where a second connection would see another database), or in
 * a writer thread with a checkpointer thread beside it (for a file).
 */
import type Database from 'better-sqlite3';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

import type { FromWriter, ToWriter, WorkerInit } from './worker.js';
import { SqliteWriter, type WriteRequest, type WriteResults } from './writer.js';

/** Where the writer runs: inline (`:memory:`) or in a worker thread (a file). */
export interface WriteChannel {
  write<K extends WriteRequest['kind']>(request: WriteRequest & { kind: K }): Promise<WriteResults[K]>;
  close(): Promise<void>;
}

/** The writer on the store's own connection, for `:memory:`. */
export class InlineChannel implements WriteChannel {
  private readonly writer: SqliteWriter;
  constructor(db: Database.Database) {
    this.writer = new SqliteWriter(db);
  }
  write<K extends WriteRequest['kind']>(request: WriteRequest & { kind: K }): Promise<WriteResults[K]> {
    try {
      return Promise.resolve(this.writer.handle(request) as WriteResults[K]);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Under vitest or tsx the store runs from its .ts source, and a worker does not
 * inherit their loaders: it registers tsx's first, then imports the source.
 */
function startWorker(init: WorkerInit): Worker {
  if (!import.meta.url.endsWith('.ts')) {
    return new Worker(new URL('./worker.js', import.meta.url), { workerData: init });
  }
  // tsx's package root is its loader; its ESM API sits beside it.
  const loader = createRequire(import.meta.url).resolve('tsx');
  const api = pathToFileURL(path.join(path.dirname(loader), 'esm/api/index.mjs')).href;
  const entry = new URL('./worker.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true, workerData: init });
}

interface Thread {
  worker: Worker;
  exited: Promise<void>;
}

function startThread(init: WorkerInit): Thread {
  const worker = startWorker(init);
  // The store's close() ends them; they alone do not keep the process alive.
  worker.unref();
  return { worker, exited: new Promise((resolve) => worker.once('exit', () => resolve())) };
}

/** Asks a thread to close its connection (after the writes posted before) and waits for it to end. */
async function stopThread(thread: Thread): Promise<void> {
  thread.worker.postMessage([{ id: 0, close: true }] satisfies ToWriter[]);
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<void>((resolve) => {
    timer = setTimeout(() => void thread.worker.terminate().then(() => resolve()), 10_000);
  });
  await Promise.race([thread.exited, stuck]);
  clearTimeout(timer);
}

/** The writer in a worker thread; restarted on the next write if it dies. */
export class WorkerChannel implements WriteChannel {
  private writer: Thread | undefined;
  /** Not restarted if it dies: the writer then checkpoints by itself (worker.ts). */
  private readonly checkpointer: Thread;
  private nextId = 1;
  /**
   * The first write of a turn of the event loop is posted at once; those
   * after it in the same turn wait here and go together at the end of it: a
   * connect storm's thousands of new users cost the thread a message or two
   * per turn, not one each, and a lone group commit waits for nothing.
   */
  private outgoing: ToWriter[] = [];
  private turnStarted = false;
  private readonly waiting = new Map<
    number,
    { resolve: (result: unknown) => void; reject: (error: Error) => void }
  >();

  constructor(private readonly file: string) {
    this.writer = this.start();
    this.checkpointer = startThread({ file, role: 'checkpointer' });
    // It catches its own errors; one it could not is ignored (see above).
    this.checkpointer.worker.on('error', () => undefined);
  }

  private start(): Thread {
    const thread = startThread({ file: this.file, role: 'writer' });
    const worker = thread.worker;
    worker.on('message', (answers: FromWriter[]) => {
      for (const answer of answers) {
        const waiter = this.waiting.get(answer.id);
        if (!waiter) continue;
        this.waiting.delete(answer.id);
        if (answer.ok) waiter.resolve(answer.result);
        else waiter.reject(Object.assign(new Error(answer.message), { code: answer.code }));
      }
    });
    const fail = (error: Error): void => {
      if (this.writer === thread) this.writer = undefined;
      for (const waiter of this.waiting.values()) waiter.reject(error);
      this.waiting.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the SQLite writer thread exited (code ${code})`)));
    return thread;
  }

  private post(message: (id: number) => ToWriter): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.outgoing.push(message(id));
      if (!this.turnStarted) {
        this.turnStarted = true;
        this.send();
        setImmediate(this.endTurn);
      }
    });
  }

  private readonly endTurn = (): void => {
    this.turnStarted = false;
    this.send();
  };

  private send(): void {
    const batch = this.outgoing;
    this.outgoing = [];
    if (batch.length > 0) (this.writer ??= this.start()).worker.postMessage(batch);
  }

  write<K extends WriteRequest['kind']>(request: WriteRequest & { kind: K }): Promise<WriteResults[K]> {
    return this.post((id) => ({ id, request })) as Promise<WriteResults[K]>;
  }

  async close(): Promise<void> {
    // Writes still waiting for this turn go before the close.
    this.send();
    await stopThread(this.checkpointer);
    // Closed last, the writer's connection does the final checkpoint.
    if (this.writer) await stopThread(this.writer);
  }
}
