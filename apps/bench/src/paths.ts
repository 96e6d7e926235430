/** Where things are, from this file's location. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** apps/bench */
export const BENCH_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = path.resolve(BENCH_ROOT, '../..');
export const TETHER_ENTRY = path.join(REPO_ROOT, 'apps/server/dist/main.js');
/** Results go to the repository's bench/results (Markdown and JSON). */
export const RESULTS_DIR = path.join(REPO_ROOT, 'bench/results');
/**
 * Node flags for every benchmarked server (Tether and competitors): a preload
 * that runs a full GC on SIGUSR2, for the "RSS after GC" figures.
 */
export const SERVER_NODE_FLAGS = [
  '--expose-gc',
  `--import=${path.join(BENCH_ROOT, 'preload/gc-on-signal.mjs')}`,
];
