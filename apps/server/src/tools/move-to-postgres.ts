/**
 * `pnpm move-to-postgres --from data/chat.db --to postgres://…`: moves a
 * Tether chat from its SQLite file into an empty PostgreSQL database, so
 * that every client resumes against the PostgreSQL servers with its token,
 * seqs and epochs as they were, every message in its current state (edits,
 * tombstones, replies, reactions) and every change's idempotency key, then
 * proves it by reading both back.
 *
 *   1. the SQLite file, brought to the current schema, opened read-only;
 *   2. PostgreSQL reached and migrated (the servers' own migrations);
 *   3. refused, nothing written, if it already holds a user, room, message,
 *      reaction or change key;
 *   4. everything copied in one transaction (move-copy.ts says why);
 *   5. both read back and compared (move-verify.ts) in that transaction,
 *      which commits only if they are equal.
 *
 * Exit 0: moved and equal. 1: refused, failed, or a difference (listed).
 * 2: a bad argument. Production runs the bundle: `node dist/move-to-postgres.js`.
 */
import { pino } from 'pino';

import { createPool, redactUrl } from '../postgres/connection.js';
import { migrate } from '../postgres/schema.js';
import { parseMoveArgs, USAGE } from './move-args.js';
import { copyAll, TargetNotEmpty } from './move-copy.js';
import { openSource, type SqliteSource } from './move-source.js';
import { formatReport, verifyInTransaction } from './move-verify.js';

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

const fail = (line: string): void => {
  process.stderr.write(`move-to-postgres: ${line}\n`);
};

/** The whole command; resolves with the exit code. */
export async function main(argv: readonly string[], cwd: string): Promise<number> {
  const args = parseMoveArgs(argv, cwd);
  if (args.kind === 'help') {
    say(USAGE);
    return 0;
  }
  if (args.kind === 'error') {
    fail(`${args.message} (see --help)`);
    return 2;
  }
  const target = redactUrl(args.to);
  const started = performance.now();
  let source: SqliteSource;
  try {
    source = openSource(args.from);
  } catch (error) {
    fail(`could not open ${args.from}: ${messageOf(error)}`);
    return 1;
  }
  // Warnings of the pool (a connection that broke while idle) go to stderr.
  const pool = createPool({
    url: args.to,
    size: 2,
    log: pino({ level: 'warn', base: null }, pino.destination(2)),
    connectTimeoutMs: 10_000,
  });
  try {
    try {
      await migrate(pool);
    } catch (error) {
      fail(`could not prepare postgres at ${target}: ${messageOf(error)}`);
      return 1;
    }
    say(`moving ${args.from} (SQLite schema ${source.foundVersion}) to ${target}`);
    let mismatches: string[] = [];
    try {
      const { committed } = await copyAll(source, pool, say, async (client) => {
        const report = await verifyInTransaction(source, client);
        for (const line of formatReport(report)) say(line);
        mismatches = report.mismatches;
        return mismatches.length === 0;
      });
      if (!committed) {
        for (const line of mismatches) fail(`mismatch: ${line}`);
        fail(
          `${mismatches.length} differences between the copy and the SQLite file: rolled back, the target is ` +
            'unchanged (was a server still writing to the SQLite file?)',
        );
        return 1;
      }
    } catch (error) {
      if (error instanceof TargetNotEmpty) fail(`refused: ${error.message}`);
      else fail(`the move failed and was rolled back, the target is unchanged: ${messageOf(error)}`);
      return 1;
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    say(`moved and verified in ${seconds} s: start the PostgreSQL servers (DATABASE_URL) now`);
    return 0;
  } catch (error) {
    fail(messageOf(error));
    return 1;
  } finally {
    source.close();
    await pool.end().catch(() => undefined);
  }
}

/** An error's message, never a URL's password (pg's messages do not hold it; a URL in them is redacted anyway). */
function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/(postgres(?:ql)?:\/\/[^:@/\s]*:)[^@\s]*@/g, '$1***@');
}

// Run as a command (tsx or the bundle), not when a test imports it.
const entry = process.argv[1] ?? '';
if (/move-to-postgres\.(ts|js)$/.test(entry)) {
  // Output piped into `head` or a closed terminal must not end a move half-way: its lines are only a report.
  process.stdout.on('error', () => undefined);
  const cwd = process.env.INIT_CWD ?? process.cwd();
  main(process.argv.slice(2), cwd).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      fail(messageOf(error));
      process.exitCode = 1;
    },
  );
}
