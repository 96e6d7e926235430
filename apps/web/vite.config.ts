import { existsSync } from 'node:fs';

import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';

// Everything the Koa server answers besides the UI. `changeOrigin` stays off
// on purpose: the server accepts a browser's WebSocket only when `Origin`
// matches `Host`, and the dev page's origin is this server's, so `Host` must
// reach it unchanged.
const server = 'http://127.0.0.1:3000';
const proxy = {
  '/ws': { target: server, ws: true },
  '/healthz': server,
  '/readyz': server,
  '/metrics': server,
  '/api': server,
};

export default defineConfig(({ command }) => {
  // A production build bundles @tether/protocol from its dist (see `resolve`).
  // The root `pnpm build` builds it first; a lone web build gets this hint
  // instead of a bare "failed to resolve import".
  if (
    command === 'build' &&
    !existsSync(new URL('../../packages/protocol/dist/constants.js', import.meta.url))
  ) {
    throw new Error(
      '@tether/protocol is not built: run `pnpm build` at the repository root, or `pnpm --filter @tether/web... build`.',
    );
  }
  return {
    plugins: [react()],
    resolve: {
      // In dev, workspace packages resolve to their TypeScript sources, so a
      // change in packages/protocol shows up without a build. Production builds
      // use their dist, like every other consumer. Setting `conditions` replaces
      // Vite's defaults, hence the spread.
      conditions:
        command === 'serve' ? ['@tether/source', ...defaultClientConditions] : [...defaultClientConditions],
    },
    server: { port: 5173, strictPort: true, proxy },
    // `vite preview` serves dist/ with the same proxy, so a built UI can talk to
    // a dev server too.
    preview: { proxy },
    build: { sourcemap: true },
  };
});
