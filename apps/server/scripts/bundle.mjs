// The production build: the server, its SQLite worker and the move to
// PostgreSQL, each bundled into one file (dist/main.js, dist/worker.js,
// dist/move-to-postgres.js) with the protocol package's sources.
//
// Why a bundle rather than tsc's tree of files: a restart is only as fast as
// the new process starts, and loading ~300 modules through Node's resolver
// took about 540 ms of the server's start; one file takes about 250 ms
// (measured on this project's CI machine, 2 cores). Clients told to come back
// after a restart (docs/protocol.md, restart hint) come back that much
// sooner. Types are checked by `pnpm typecheck`, not here.
//
// better-sqlite3 is a native module and ioredis is loaded only with
// REDIS_URL: both stay outside, resolved from node_modules at run time.
import { build } from 'esbuild';

await build({
  absWorkingDir: new URL('..', import.meta.url).pathname,
  // move-to-postgres is the operator's one-off command (README, Moving from
  // SQLite): bundled too, so production runs `node dist/move-to-postgres.js`.
  entryPoints: {
    main: 'src/main.ts',
    worker: 'src/sqlite/worker.ts',
    'move-to-postgres': 'src/tools/move-to-postgres.ts',
  },
  outdir: 'dist',
  bundle: true,
  // The Redis adapters go in a chunk of their own, imported only with
  // REDIS_URL: otherwise ioredis, an external, would load with every start.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // The workspace's TypeScript sources, as in development and tests.
  conditions: ['@tether/source'],
  external: ['better-sqlite3', 'ioredis'],
  // Bundled CommonJS packages call require(); an ES module has none of its own.
  banner: {
    js: "import { createRequire as __tetherRequire } from 'node:module'; const require = __tetherRequire(import.meta.url);",
  },
  // Run with `node --enable-source-maps dist/main.js` to see src/ in stack traces.
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
});
