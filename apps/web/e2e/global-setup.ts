/**
 * Builds the web app once per e2e run, with Vite's JS API and the app's own
 * vite.config.ts, into a temporary folder that the tests serve through the
 * real server (`STATIC_DIR`), and precompresses it as `pnpm build` does
 * (scripts/compress.mjs): the server serves what production serves. The
 * folder is removed when the run ends.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { build } from 'vite';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The built web app (index.html, assets/, sw.js). */
    staticDir: string;
  }
}

const WEB_DIR = fileURLToPath(new URL('..', import.meta.url));

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const outDir = await mkdtemp(join(tmpdir(), 'tether-e2e-web-'));
  // Vitest sets NODE_ENV=test, and Vite derives `import.meta.env.PROD` (which
  // registers the service worker) and React's production build from NODE_ENV:
  // build what `pnpm build` builds.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({
      root: WEB_DIR,
      build: { outDir, emptyOutDir: true },
      logLevel: 'warn',
    });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
  await assertProductionBuild(outDir);
  await promisify(execFile)(process.execPath, [join(WEB_DIR, 'scripts/compress.mjs'), outDir]);
  project.provide('staticDir', outDir);
  return async () => {
    await rm(outDir, { recursive: true, force: true });
  };
}

/** The tests rely on the service worker (a reload without the server): fail early if it is not in the build. */
async function assertProductionBuild(outDir: string): Promise<void> {
  const files = await readdir(outDir);
  if (!files.includes('index.html') || !files.includes('sw.js')) {
    throw new Error(`the web build in ${outDir} has no index.html or sw.js: ${files.join(', ')}`);
  }
  const assets = join(outDir, 'assets');
  const scripts = (await readdir(assets)).filter((f) => f.startsWith('index-') && f.endsWith('.js'));
  const code = await Promise.all(scripts.map((f) => readFile(join(assets, f), 'utf8')));
  if (!code.some((c) => c.includes('/sw.js'))) {
    throw new Error('the web build does not register /sw.js: was it built for production?');
  }
}
