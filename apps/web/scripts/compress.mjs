/**
 * Precompresses the built UI: next to each text file in dist/ worth it, a
 * `.br` (brotli, best quality) and a `.gz` (gzip, level 9). The server picks
 * one by the request's Accept-Encoding (koa-send), so compressing costs the
 * build once instead of every request. Node's zlib does both; no dependency.
 */
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

// dist/, or the folder named on the command line (the e2e build is elsewhere).
const dist = process.argv[2]
  ? path.resolve(process.argv[2])
  : path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist');
const TEXT = /\.(?:js|mjs|css|html|svg|json|webmanifest|txt)$/;
/** Smaller files gain less than the cost of a second request header's worth. */
const MIN_BYTES = 1024;

async function* files(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* files(full);
    else yield full;
  }
}

let before = 0;
let after = 0;
for await (const file of files(dist)) {
  if (!TEXT.test(file) || (await stat(file)).size < MIN_BYTES) continue;
  const source = await readFile(file);
  const br = brotliCompressSync(source, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_SIZE_HINT]: source.length,
    },
  });
  const gz = gzipSync(source, { level: 9 });
  // A compressed copy no smaller than the file is not worth serving.
  if (br.length < source.length) await writeFile(`${file}.br`, br);
  if (gz.length < source.length) await writeFile(`${file}.gz`, gz);
  before += source.length;
  after += Math.min(br.length, source.length);
}
console.log(
  `compressed ${(before / 1024).toFixed(1)} KiB of text to ${(after / 1024).toFixed(1)} KiB (brotli)`,
);
