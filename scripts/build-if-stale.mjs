// Builds the workspace when an output the production server needs is missing
// or older than its sources. Shared by `pnpm start` and `pnpm cluster`.
//
// Production resolves workspace packages to their dist (no TypeScript at
// runtime), so starting from a fresh clone, or after editing sources, would
// otherwise run old code or fail to import. Deciding by mtime keeps a second
// start instant.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = dirname(dirname(fileURLToPath(import.meta.url)));
export const SERVER_ENTRY = 'apps/server/dist/main.js';

// Each build output and the sources it is made from. The web bundle inlines
// the protocol's constants, so protocol sources count for it too.
const outputs = [
  { output: 'packages/protocol/dist/index.js', sources: ['packages/protocol/src'] },
  // The server bundles the protocol's sources.
  { output: SERVER_ENTRY, sources: ['apps/server/src', 'apps/server/scripts', 'packages/protocol/src'] },
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

/** Runs `pnpm build` when needed; exits the process with a clear message if it fails. */
export async function buildIfStale(label) {
  const stale = outputs.filter(isStale).map(({ output }) => output);
  if (stale.length === 0) return;
  {
    console.log(
      `${label}: building, because ${stale.join(', ')} ${stale.length === 1 ? 'is' : 'are'} missing or stale`,
    );
    // The whole workspace builds in dependency order (protocol first), which is
    // simpler and safer than rebuilding only the stale packages.
    let result;
    try {
      result = await run('pnpm', ['build']);
    } catch (error) {
      console.error(`${label}: could not run \`pnpm build\` (${error.message}). Is pnpm 10 on PATH?`);
      process.exit(1);
    }
    if (result.code !== 0) {
      console.error(
        `${label}: \`pnpm build\` failed (${result.signal ?? `exit code ${result.code}`}); not starting the server.`,
      );
      process.exit(1);
    }
  }
}
