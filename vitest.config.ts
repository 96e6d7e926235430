import { defineConfig } from 'vitest/config';

// One root config; each workspace package is a project. The custom condition
// resolves workspace packages to their TypeScript sources, so tests never need
// a build.
export default defineConfig({
  resolve: { conditions: ['@tether/source'] },
  ssr: { resolve: { conditions: ['@tether/source'] } },
  test: {
    projects: [
      {
        // Rules about the repository as a whole (the architecture's import rules).
        extends: true,
        test: { name: 'repo', root: '.', include: ['test/**/*.test.mjs'] },
      },
      {
        extends: true,
        test: {
          name: 'protocol',
          root: './packages/protocol',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'server',
          root: './apps/server',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        // The same protocol suite on PostgreSQL, with Redis carrying events
        // and presence and two server processes per test chat (connections
        // take turns between them): one cluster and one redis-server for the
        // run, a schema and a key prefix per test chat. The crash and
        // shutdown tests too: what survives a SIGKILL or a SIGTERM is the
        // store's promise. The rest of test/ runs once, in `server`.
        extends: true,
        test: {
          name: 'server-postgres',
          root: './apps/server',
          include: [
            'test/protocol/**/*.test.ts',
            'test/process/crash.test.ts',
            'test/process/shutdown.test.ts',
          ],
          globalSetup: ['./test/helpers/postgres-global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'web',
          root: './apps/web',
          include: ['src/**/*.test.{ts,tsx}'],
          environment: 'jsdom',
          setupFiles: ['./src/test/setup.ts'],
        },
      },
      {
        // The benchmark harness's own parts (framing, stamps, percentiles,
        // profile summary); `pnpm bench:quick` runs the harness end to end.
        extends: true,
        test: {
          name: 'bench',
          root: './apps/bench',
          include: ['src/**/*.test.ts'],
        },
      },
      {
        // End-to-end: the web app built once (global setup), served by the real
        // server started as a child process, driven in headless Chromium.
        extends: true,
        test: {
          name: 'e2e',
          root: './apps/web',
          include: ['e2e/**/*.e2e.ts'],
          environment: 'node',
          globalSetup: ['./e2e/global-setup.ts'],
          // One file at a time: each runs a browser and servers, and a 1 s
          // heartbeat should not compete with another file's for two cores.
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
