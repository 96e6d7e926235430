// `pnpm start`: build what is missing or stale, then run the production server.
//
// Production resolves workspace packages to their dist (no TypeScript at
// runtime), so starting from a fresh clone, or after editing sources, would
// otherwise run old code or fail to import. Deciding by mtime keeps a second
// `pnpm start` instant.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const SERVER_ENTRY = 'apps/server/dist/main.js';

// Each build output and the sources it is made from. The web bundle inlines
// the protocol's constants, so protocol sources count for it too.
const outputs = [
  { output: 'packages/protocol/dist/index.js', sources: ['packages/protocol/src'] },
  { output: SERVER_ENTRY, sources: ['apps/server/src'] },
  {
    output: 'apps/web/dist/index.html',
    sources: ['apps/web/src', 'apps/web/index.html', 'apps/web/public', 'packages/protocol/src'],
  },
];

/** Newest mtime under `path`, directories included: deleting or renaming a source changes its directory's mtime. */
function newestMtime(path) {
  let stats;
  try {
    stats = statSync(path);
  } catch {
    return 0;
  }
  let newest = stats.mtimeMs;
  if (stats.isDirectory()) {
    for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

function isStale({ output, sources }) {
  let built;
  try {
    built = statSync(join(root, output)).mtimeMs;
  } catch {
    return true; // never built
  }
  return sources.some((source) => newestMtime(join(root, source)) > built);
}

/** Runs a command in the repository root on our terminal; resolves with how it exited. */
function run(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, stdio: 'inherit', shell: false });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
}

const stale = outputs.filter(isStale).map(({ output }) => output);
if (stale.length > 0) {
  console.log(
    `start: building, because ${stale.join(', ')} ${stale.length === 1 ? 'is' : 'are'} missing or stale`,
  );
  // The whole workspace builds in dependency order (protocol first), which is
  // simpler and safer than rebuilding only the stale packages.
  let result;
  try {
    result = await run('pnpm', ['build']);
  } catch (error) {
    console.error(`start: could not run \`pnpm build\` (${error.message}). Is pnpm 10 on PATH?`);
    process.exit(1);
  }
  if (result.code !== 0) {
    console.error(
      `start: \`pnpm build\` failed (${result.signal ?? `exit code ${result.code}`}); not starting the server.`,
    );
    process.exit(1);
  }
}

// Node cannot exec(), so the server runs as our child and we stand in for it:
// signals sent to this process (by a supervisor, `docker stop`, `kill`) go on
// to the server, which needs them to shut down cleanly (close sockets with
// 1001, finish storing what it acked). Ctrl+C in a terminal reaches both
// processes, so the server may see SIGINT twice and must not mind.
const server = spawn(process.execPath, [SERVER_ENTRY], { cwd: root, stdio: 'inherit', shell: false });
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.kill(signal));
}
server.on('error', (error) => {
  console.error(`start: could not start the server: ${error.message}`);
  process.exit(1);
});
server.on('exit', (code, signal) => {
  // A server killed by a signal exits the way shells report it: 128 + signal number.
  process.exit(code ?? 128 + (constants.signals[signal] ?? 0));
});
