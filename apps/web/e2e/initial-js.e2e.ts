/**
 * Issue 14's budget of the first load: the JavaScript index.html loads before
 * anything is on demand is at most 110,000 B gzipped. Measured on the build
 * the e2e run made (global-setup.ts, `pnpm build`'s config): the scripts and
 * module preloads index.html names, and every chunk those import statically
 * (the browser fetches them before the page runs), each gzipped at level 9 as
 * scripts/compress.mjs writes the `.gz` the server sends. Chunks imported with
 * `import()` (the Markdown parser, the message tools, the emoji picker, the
 * name rules, Chinese) are on demand and not counted.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { gzipSync } from 'node:zlib';

import { parseSync } from 'vite';
import { describe, expect, inject, test } from 'vitest';

const BUDGET = 110_000;

interface Loaded {
  file: string;
  bytes: number;
  gzipped: number;
  /** The emoji picker's data (emoji-picker-element-data) is in it. */
  emoji: boolean;
}

/** In the picker's data (its first emoji's shortcode), nowhere else. */
const EMOJI_DATA = '"grinning"';

/** The attributes of every `<tag …>` in `html`. */
function tags(html: string, tag: string): Map<string, string>[] {
  const found: Map<string, string>[] = [];
  for (const [, attributes = ''] of html.matchAll(new RegExp(`<${tag}\\b([^>]*)>`, 'gi'))) {
    const map = new Map<string, string>();
    for (const [, name = '', value = ''] of attributes.matchAll(/([^\s=]+)(?:\s*=\s*"([^"]*)")?/g)) {
      map.set(name.toLowerCase(), value);
    }
    found.push(map);
  }
  return found;
}

/** Paths (relative to the build) of what index.html loads at once. */
function entries(html: string): string[] {
  const scripts = tags(html, 'script').flatMap((attributes) => attributes.get('src') ?? []);
  const preloads = tags(html, 'link')
    .filter((attributes) => attributes.get('rel') === 'modulepreload')
    .flatMap((attributes) => attributes.get('href') ?? []);
  return [...scripts, ...preloads].map((url) => posix.normalize(new URL(url, 'http://x/').pathname).slice(1));
}

/** The chunks `code` (the chunk at `file`) imports statically: `import … from`, `export … from`. */
function staticImports(file: string, code: string): string[] {
  const { program, errors } = parseSync(file, code);
  if (errors.length > 0) throw new Error(`${file} does not parse: ${errors[0]?.message ?? ''}`);
  const imported: string[] = [];
  for (const node of program.body) {
    if (
      (node.type === 'ImportDeclaration' ||
        node.type === 'ExportNamedDeclaration' ||
        node.type === 'ExportAllDeclaration') &&
      node.source &&
      typeof node.source.value === 'string'
    ) {
      imported.push(posix.join(posix.dirname(file), node.source.value));
    }
  }
  return imported;
}

/** Every JavaScript file the first load runs, with its size and gzipped size. */
async function initialJavaScript(dir: string): Promise<Loaded[]> {
  const html = await readFile(join(dir, 'index.html'), 'utf8');
  const queue = entries(html);
  const seen = new Set(queue);
  const loaded: Loaded[] = [];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    const source = await readFile(join(dir, file));
    const code = source.toString('utf8');
    loaded.push({
      file,
      bytes: source.length,
      gzipped: gzipSync(source, { level: 9 }).length,
      emoji: code.includes(EMOJI_DATA),
    });
    for (const next of staticImports(file, code)) {
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return loaded;
}

const bytes = (n: number) => `${n.toLocaleString('en')} B`;

describe('the first load', () => {
  test(`runs at most ${bytes(BUDGET)} of JavaScript, gzipped`, async () => {
    const loaded = await initialJavaScript(inject('staticDir'));
    const total = loaded.reduce((sum, f) => sum + f.gzipped, 0);
    const table = loaded
      .map((f) => `  ${f.file}: ${bytes(f.gzipped)} gzipped (${bytes(f.bytes)})`)
      .join('\n');
    const report = `initial JavaScript: ${bytes(total)} gzipped of a budget of ${bytes(BUDGET)}\n${table}`;
    console.info(report);

    expect(loaded.length, 'index.html loads no script').toBeGreaterThan(0);
    // The emoji picker is on demand: its data is in the build, not in the first load.
    const chunks = await readdir(join(inject('staticDir'), 'assets'));
    const withEmoji = await Promise.all(
      chunks
        .filter((name) => name.endsWith('.js'))
        .map(async (name) =>
          (await readFile(join(inject('staticDir'), 'assets', name), 'utf8')).includes(EMOJI_DATA),
        ),
    );
    expect(withEmoji, 'no chunk holds the emoji data').toContain(true);
    expect(
      loaded.filter((f) => f.emoji).map((f) => f.file),
      'the emoji data is in the first load',
    ).toEqual([]);
    expect(total, `over budget by ${bytes(total - BUDGET)}: ${report}`).toBeLessThanOrEqual(BUDGET);
  });
});
