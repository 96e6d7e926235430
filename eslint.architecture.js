// @ts-check
/**
 * The import rules of Tether's architecture, as lint rules. Kept apart from
 * eslint.config.js so that a test (apps/server/test/architecture.test.ts)
 * can run exactly these rules on imports that must fail.
 *
 * - packages/protocol imports nothing from apps/.
 * - apps/server/src/chat/ holds the chat and the ports it depends on: it
 *   imports no socket library, web framework or database client, and no
 *   adapter folder.
 * - Adapters (one folder per technology, and the transport and HTTP
 *   folders) import from chat/ only its ports, and no other adapter.
 * - The web's socket, client and state code imports no React.
 *
 * That no import runs in a circle is checked by dependency-cruiser
 * (.dependency-cruiser.cjs), which also counts type-only imports.
 */
/** Packages that are one technology's business, never the chat's. */
const TECHNOLOGY_PACKAGES =
  '^(ws|koa|koa-[^/]+|@koa/[^/]+|better-sqlite3|ioredis|pg|pg-[^/]+|postgres|node:(http|https|net|worker_threads))(/.*)?$';

/** Server folders that implement the chat's ports with one technology each, or carry it. */
const ADAPTERS = ['sqlite', 'postgres', 'redis', 'local', 'ws', 'http'];

/** The wiring above everything: adapters and the chat never import it. */
const WIRING = ['server', 'backend', 'main', 'config'];

const SERVER = 'apps/server/src';

/** `../x/*` and `../x.js` for each name: how a sibling folder or root file is imported. */
const siblings = (names) => names.flatMap((name) => [`../${name}/*`, `../${name}.js`]);

/** @type {import('eslint').Linter.Config[]} */
export const boundaries = [
  {
    name: 'architecture/protocol',
    files: ['packages/protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/apps/**', '@tether/server', '@tether/web', '@tether/bench'],
              message:
                'packages/protocol is the contract every app builds on: it imports nothing from apps/.',
            },
          ],
        },
      ],
    },
  },
  {
    name: 'architecture/chat',
    files: [`${SERVER}/chat/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: TECHNOLOGY_PACKAGES,
              message:
                'chat/ sees connections and storage only through its ports (chat/ports.ts): no socket library, web framework or database client here.',
            },
            {
              group: [...siblings(ADAPTERS), ...siblings(WIRING)],
              message:
                'chat/ owns the interfaces it depends on (chat/ports.ts); adapters implement them, and server.ts wires them. It never imports an adapter or the wiring.',
            },
          ],
        },
      ],
    },
  },
  ...ADAPTERS.map((adapter) => ({
    name: `architecture/${adapter}`,
    files: [`${SERVER}/${adapter}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../chat/*', '!../chat/ports.js'],
              message: `${adapter}/ is an adapter: from chat/ it imports only the ports (chat/ports.ts).`,
            },
            {
              group: [...siblings(ADAPTERS.filter((other) => other !== adapter)), ...siblings(WIRING)],
              message: `${adapter}/ is one technology: it does not reach into another adapter or the wiring (backend.ts and server.ts combine them).`,
            },
          ],
        },
      ],
    },
  })),
  {
    name: 'architecture/web-no-react',
    files: ['apps/web/src/net/**/*.ts', 'apps/web/src/state/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'zustand',
              message: 'Use zustand/vanilla here: React reads the store through src/hooks.',
            },
          ],
          patterns: [
            {
              group: [
                'react',
                'react-dom',
                'react/*',
                'react-dom/*',
                'zustand/react',
                '../hooks/*',
                '../components/*',
              ],
              message:
                'The socket, the protocol client and the state run without React (see partysocket): React reads them through src/hooks.',
            },
          ],
        },
      ],
    },
  },
];
