import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';
import type { Plugin } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

/**
 * The port the chat server listens on: `PORT`, as the server reads it, so one
 * `PORT=4000 pnpm dev` moves both sides (3000 when unset, as on the server). A
 * value that is not a port stops Vite with a line that says so, instead of a
 * proxy that fails on every request.
 */
function serverPort(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 3000;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 1 || port > 65_535) {
    throw new Error(
      `PORT must be the chat server's port, a number from 1 to 65535; got ${JSON.stringify(raw)}`,
    );
  }
  return port;
}

/**
 * Everything the Koa server answers besides the UI. `changeOrigin` stays off
 * on purpose: the server accepts a browser's WebSocket only when `Origin`
 * matches `Host`, and the dev page's origin is this server's, so `Host` must
 * reach it unchanged.
 */
function serverProxy(port: number) {
  const server = `http://127.0.0.1:${port}`;
  return {
    '/ws': { target: server, ws: true },
    '/healthz': server,
    '/readyz': server,
    '/metrics': server,
    '/api': server,
  };
}

// Server routes a navigation must reach, never the cached app shell.
const serverRoutes = [/^\/ws(?:\/|$)/, /^\/healthz$/, /^\/readyz$/, /^\/metrics$/, /^\/api(?:\/|$)/];

/**
 * Vite sends every `import()` through `__vitePreload`, a helper of about 1 kB
 * (400 B gzipped) in the first load. With `modulePreload` off (see `build`
 * below) all it still does is link a lazy chunk's own CSS (vitejs/vite#18551)
 * and dispatch `vite:preloadError`, which nothing here listens to; this app
 * has one stylesheet, which index.html links. So a plain call takes its
 * place. The build fails if a second stylesheet appears (the helper would be
 * needed again), or if the helper is in a chunk anyway (a Vite that names it
 * otherwise: this plugin no longer applies).
 */
function plainDynamicImports(): Plugin {
  const helper = '\0vite/preload-helper.js';
  return {
    name: 'tether:plain-dynamic-imports',
    apply: 'build',
    enforce: 'pre',
    resolveId: (id) => (id === helper ? helper : null),
    load: (id) => (id === helper ? 'export const __vitePreload = (load) => load();' : null),
    generateBundle(_options, bundle) {
      const sheets = Object.keys(bundle).filter((name) => name.endsWith('.css'));
      if (sheets.length > 1) {
        this.error(
          `the build has ${sheets.length} stylesheets (${sheets.join(', ')}): a lazy chunk's own CSS needs Vite's preload helper, remove plainDynamicImports`,
        );
      }
      for (const file of Object.values(bundle)) {
        if (file.type === 'chunk' && file.code.includes('vite:preloadError')) {
          this.error(
            `${file.fileName} holds Vite's preload helper: plainDynamicImports no longer replaces it`,
          );
        }
      }
    },
  };
}

export default defineConfig(({ command }) => {
  // Only `vite` and `vite preview` (both 'serve') talk to the server: a build
  // neither needs nor checks PORT.
  const proxy = command === 'serve' ? serverProxy(serverPort(process.env.PORT)) : undefined;
  return {
    plugins: [
      plainDynamicImports(),
      react(),
      VitePWA({
        strategies: 'generateSW',
        // main.tsx registers the worker: the server's CSP (`script-src 'self'`)
        // forbids an injected inline script.
        injectRegister: null,
        // A new version waits for the person's "Reload" (see main.tsx) instead
        // of reloading the page mid-conversation.
        registerType: 'prompt',
        includeAssets: ['favicon.svg', 'apple-touch-icon.png'],
        manifest: {
          name: 'Tether',
          short_name: 'Tether',
          description: 'Realtime chat whose connections stay alive and whose messages are never lost.',
          start_url: '/',
          scope: '/',
          display: 'standalone',
          background_color: '#ffffff',
          theme_color: '#4f46e5',
          icons: [
            { src: 'pwa-192.png', sizes: '192x192', type: 'image/png' },
            { src: 'pwa-512.png', sizes: '512x512', type: 'image/png' },
            { src: 'pwa-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
          ],
        },
        workbox: {
          // The whole built app is precached, so a reload while the server is
          // unreachable still opens the chat.
          globPatterns: ['**/*.{js,css,html,svg,png,webmanifest}'],
          navigateFallback: 'index.html',
          navigateFallbackDenylist: serverRoutes,
          cleanupOutdatedCaches: true,
          // Source maps are for debugging, not for offline use.
          globIgnores: ['**/*.map'],
          // The worker is small and generated: no map that nobody may fetch.
          sourcemap: false,
        },
      }),
    ],
    resolve: {
      // Workspace packages resolve to their TypeScript sources, in dev and in
      // production builds alike, so `vite build` works on a fresh clone without
      // building packages/protocol first (its `@tether/source` export points at
      // src/). Setting `conditions` replaces Vite's defaults, hence the spread.
      conditions: ['@tether/source', ...defaultClientConditions],
    },
    server: { port: 5173, strictPort: true, proxy },
    // `vite preview` serves dist/ with the same proxy, so a built UI can talk to
    // a dev server too.
    preview: { proxy },
    // Maps are built for whoever debugs the bundle, but no file points at
    // them, and the server serves them only when SERVE_SOURCE_MAPS says so.
    build: {
      // No `<link rel="modulepreload">` and no polyfill for it (about 300 B
      // gzipped in the first load): everything the first load runs is one
      // chunk (below), and the chunks loaded on demand import nothing but
      // it, so there is nothing to fetch ahead. (A chunk loaded on demand
      // that shared a chunk with another would fetch it once it runs.)
      modulePreload: false,
      sourcemap: 'hidden',
      rolldownOptions: {
        output: {
          codeSplitting: {
            // Everything the first page load runs, in one chunk: chunks loaded
            // on demand (the Markdown parser, the emoji picker, the message
            // tools) share React, the strings and linkify with it, and Rolldown
            // would otherwise cut those out into small chunks of their own, a
            // request each and about 1.5 KB more gzipped in all. (Its chunk
            // optimisation merges them back too, but only while no module has
            // a top-level await: see main.tsx.)
            groups: [{ name: 'index', tags: ['$initial'] }],
          },
        },
      },
    },
  };
});
