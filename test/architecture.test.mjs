// @ts-check
/**
 * The architecture's import rules (eslint.architecture.js) refuse what they
 * must: each forbidden import below is linted as if it were written in the
 * file named beside it, and must fail; each allowed one must pass. `pnpm
 * lint` runs the same rules over the whole repository.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

import { cruise } from 'dependency-cruiser';
import { Linter } from 'eslint';
import { describe, expect, it } from 'vitest';

import { boundaries } from '../eslint.architecture.js';

const require = createRequire(import.meta.url);
/** @type {import('dependency-cruiser').IConfiguration} */
const cycles = require('../.dependency-cruiser.cjs');

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const linter = new Linter({ cwd: root });

/** The restricted-import messages an `import` line gets in `file`. */
function violations(file, source) {
  return linter
    .verify(source, boundaries, { filename: path.join(root, file) })
    .filter((m) => m.ruleId === 'no-restricted-imports')
    .map((m) => m.message);
}

describe('architecture rules', () => {
  it.each([
    ['apps/server/src/chat/rooms.ts', "import WebSocket from 'ws';"],
    ['apps/server/src/chat/rooms.ts', "import Koa from 'koa';"],
    ['apps/server/src/chat/rooms.ts', "import Database from 'better-sqlite3';"],
    ['apps/server/src/chat/handlers.ts', "import { Redis } from 'ioredis';"],
    ['apps/server/src/chat/handlers.ts', "import pg from 'pg';"],
    ['apps/server/src/chat/handlers.ts', "import { SqliteStore } from '../sqlite/store.js';"],
    ['apps/server/src/chat/handlers.ts', "import { RedisBus } from '../redis/bus.js';"],
    ['apps/server/src/chat/service.ts', "import { LocalBus } from '../local/bus.js';"],
    ['apps/server/src/chat/service.ts', "import { encodeFrame } from '../ws/frame.js';"],
    ['apps/server/src/chat/service.ts', "import { loadConfig } from '../config.js';"],
    ['apps/server/src/sqlite/store.ts', "import { Room } from '../chat/room.js';"],
    ['apps/server/src/redis/bus.ts', "import { ChatService } from '../chat/service.js';"],
    ['apps/server/src/redis/store.ts', "import { SqliteStore } from '../sqlite/store.js';"],
    ['apps/server/src/ws/gateway.ts', "import { Session } from '../chat/session.js';"],
    ['apps/server/src/local/bus.ts', "import { startServer } from '../server.js';"],
    [
      'packages/protocol/src/rules.ts',
      "import { ChatService } from '../../../apps/server/src/chat/service.js';",
    ],
    ['packages/protocol/src/rules.ts', "import { x } from '@tether/web';"],
    ['apps/web/src/net/socket.ts', "import { useState } from 'react';"],
    ['apps/web/src/net/client.ts', "import { create } from 'zustand';"],
    ['apps/web/src/state/store.ts', "import { useStore } from 'zustand/react';"],
    ['apps/web/src/net/client.ts', "import { useChatClient } from '../hooks/ChatProvider';"],
  ])('refuses in %s: %s', (file, source) => {
    expect(violations(file, source)).toHaveLength(1);
  });

  it.each([
    ['apps/server/src/chat/rooms.ts', "import { Room } from './room.js';"],
    ['apps/server/src/chat/rooms.ts', "import { LIMITS } from '@tether/protocol';"],
    ['apps/server/src/sqlite/store.ts', "import Database from 'better-sqlite3';"],
    ['apps/server/src/sqlite/store.ts', "import type { ChatStore } from '../chat/ports.js';"],
    ['apps/server/src/redis/bus.ts', "import type { Bus } from '../chat/ports.js';"],
    ['apps/server/src/server.ts', "import { ChatService } from './chat/service.js';"],
    ['apps/web/src/net/client.ts', "import { createStore } from 'zustand/vanilla';"],
    ['apps/web/src/hooks/selectors.ts', "import { useStore } from 'zustand';"],
  ])('allows in %s: %s', (file, source) => {
    expect(violations(file, source)).toEqual([]);
  });

  it('refuses an import cycle, type-only imports included, and allows a chain', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tether-cycle-'));
    try {
      await writeFile(
        path.join(dir, 'a.ts'),
        "import type { B } from './b.js';\nexport interface A { b?: B }\n",
      );
      await writeFile(
        path.join(dir, 'b.ts'),
        "import type { A } from './a.js';\nexport interface B { a?: A }\n",
      );
      await writeFile(path.join(dir, 'c.ts'), "import type { A } from './a.js';\nexport type C = A;\n");
      const result = await cruise(['.'], {
        ...cycles.options,
        ruleSet: { forbidden: cycles.forbidden },
        baseDir: dir,
        validate: true,
      });
      if (typeof result.output === 'string') throw new Error('expected a result object');
      const found = result.output.summary.violations.map((v) => ({
        rule: v.rule.name,
        files: [v.from, ...(v.cycle ?? []).map((step) => step.name)].sort(),
      }));
      // One cycle, a.ts and b.ts; c.ts only imports a.ts and is in none.
      expect(found).toEqual([{ rule: 'no-circular', files: ['a.ts', 'a.ts', 'b.ts'] }]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
