/**
 * The command line of `move-to-postgres`: `--from <sqlite file> --to
 * <postgres url>`, or `--help`. Every mistake is one line that names the
 * argument, so an operator sees what to fix without reading a stack trace;
 * the caller exits with 2 (a usage error, as shells expect), not 1 (the move
 * itself failed).
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';

export const USAGE = `usage: move-to-postgres --from <sqlite file> --to <postgres url>

Copies a Tether SQLite database (users, tokens, names, rooms, seqs, epochs,
messages with their edits, deletes and replies, reactions, the idempotency
keys of sends and changes) into an empty PostgreSQL database, then checks
the counts and checksums per room. Stop the SQLite server first; start the
PostgreSQL servers after.

  --from <file>  the SQLite database (DATABASE_PATH of the old server)
  --to <url>     postgres://user:password@host:port/database (DATABASE_URL of the new servers)
  --help         this text

pnpm prints the command line it runs: to keep the password off the screen,
leave it out of --to and set PGPASSWORD instead.

Exit codes: 0 moved and verified; 1 refused, failed or a mismatch; 2 bad arguments.`;

export type MoveArgs =
  { kind: 'help' } | { kind: 'move'; from: string; to: string } | { kind: 'error'; message: string };

const OPTIONS = ['--from', '--to'] as const;
type Option = (typeof OPTIONS)[number];

/**
 * Reads `argv` (without node and the script). Relative paths are taken from
 * `cwd`: under `pnpm move-to-postgres` that is where the operator typed the
 * command (INIT_CWD), not the package folder pnpm runs scripts in.
 */
export function parseMoveArgs(argv: readonly string[], cwd: string): MoveArgs {
  const values = new Map<Option, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    // pnpm and npm pass a `--` through to the script when the operator typed one.
    if (arg === '--') continue;
    if (arg === '--help' || arg === '-h') return { kind: 'help' };
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (!isOption(name)) {
      // Never echo what looks like a URL: it may hold a password.
      const shown = arg.includes('://') ? 'a URL' : `"${arg}"`;
      return { kind: 'error', message: `unknown argument ${shown} (expected --from, --to or --help)` };
    }
    if (values.has(name)) return { kind: 'error', message: `${name} is given twice` };
    let value: string | undefined;
    if (eq > 0) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) {
        return { kind: 'error', message: `${name} needs a value` };
      }
      i++;
    }
    if (value === '') return { kind: 'error', message: `${name} needs a value` };
    values.set(name, value);
  }
  const from = values.get('--from');
  const to = values.get('--to');
  if (from === undefined) return { kind: 'error', message: '--from is missing: the SQLite file to copy' };
  if (to === undefined) return { kind: 'error', message: '--to is missing: the PostgreSQL URL to copy into' };

  const file = resolve(cwd, from);
  const fromProblem = checkFile(file);
  if (fromProblem) return { kind: 'error', message: `--from ${from}: ${fromProblem}` };
  const toProblem = checkUrl(to);
  if (toProblem) return { kind: 'error', message: `--to: ${toProblem}` };
  return { kind: 'move', from: file, to };
}

function isOption(name: string): name is Option {
  return (OPTIONS as readonly string[]).includes(name);
}

function checkFile(file: string): string | undefined {
  try {
    if (!statSync(file).isFile()) return 'is not a file';
  } catch {
    return 'does not exist';
  }
  return undefined;
}

/** What is wrong with the URL, in words that never repeat it (it may hold a password). */
function checkUrl(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'is not a URL (expected postgres://user:password@host:port/database)';
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    return `the scheme is ${url.protocol.slice(0, 20)}, not postgres: or postgresql:`;
  }
  if (url.hostname === '' && !url.searchParams.has('host')) return 'names no host';
  return undefined;
}
