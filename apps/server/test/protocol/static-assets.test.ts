/**
 * docs/protocol.md › HTTP routes, the web UI: what a browser's first and
 * repeat visits cost. The build leaves a brotli and a gzip copy beside each
 * text file; the server picks one by `Accept-Encoding`, lets browsers keep
 * hashed assets for a year, makes them revalidate everything else (a new
 * version is never hidden behind a stale copy), and serves no source map
 * unless the operator asks for it.
 */
import { request } from 'node:http';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';

import { describe, expect, it, onTestFinished } from 'vitest';

import { makeTempDir, startTestServer, type TestServer } from '../helpers/server.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The bytes as sent, before any decoding. */
  body: Buffer;
}

/** A GET with exactly these headers (fetch would add and undo its own Accept-Encoding). */
function get(srv: TestServer, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: srv.server.port, path, headers, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

const APP = `export const app = ${JSON.stringify('tether '.repeat(4000))};\n`;
const INDEX =
  '<!doctype html><title>Tether</title><script type="module" src="/assets/index-AbC123.js"></script>';

/** A built UI as `pnpm build` leaves it: hashed assets with .br and .gz beside them, a map, a worker. */
async function builtUi(): Promise<string> {
  const root = await makeTempDir();
  onTestFinished(() => rm(root, { recursive: true, force: true }));
  await mkdir(join(root, 'assets'));
  const files: Record<string, string> = {
    'index.html': INDEX,
    'sw.js': `self.addEventListener('fetch', () => {}); // ${'x'.repeat(2000)}`,
    'assets/index-AbC123.js': APP,
    'assets/index-AbC123.js.map': '{"version":3,"sources":["../src/secret-source.ts"]}',
  };
  for (const [name, text] of Object.entries(files)) {
    await writeFile(join(root, name), text);
    if (name.endsWith('.map')) continue;
    await writeFile(join(root, `${name}.br`), brotliCompressSync(text));
    await writeFile(join(root, `${name}.gz`), gzipSync(text));
  }
  return root;
}

describe('the built web UI over HTTP', () => {
  it('sends brotli to a browser that takes it, gzip to one that takes only that, and plain text otherwise', async () => {
    await using srv = await startTestServer({ STATIC_DIR: await builtUi() });
    const br = await get(srv, '/assets/index-AbC123.js', { 'Accept-Encoding': 'br, gzip' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(br.body).toString()).toBe(APP);
    expect(br.headers['content-type']).toMatch(/^text\/javascript/);
    expect(br.body.length).toBeLessThan(APP.length / 10);

    const gz = await get(srv, '/assets/index-AbC123.js', { 'Accept-Encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).toString()).toBe(APP);

    const plain = await get(srv, '/assets/index-AbC123.js');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString()).toBe(APP);
    // A cache between browser and server must keep the encodings apart.
    for (const answer of [br, gz, plain]) expect(answer.headers.vary).toMatch(/accept-encoding/i);
  });

  it('compresses the page itself: / in brotli is the same index.html', async () => {
    await using srv = await startTestServer({ STATIC_DIR: await builtUi() });
    const page = await get(srv, '/', { 'Accept-Encoding': 'br, gzip' });
    expect(page.status).toBe(200);
    expect(page.headers['content-encoding']).toBe('br');
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(brotliDecompressSync(page.body).toString()).toBe(INDEX);
  });

  it('lets browsers keep hashed assets for a year, and revalidate the page and the service worker', async () => {
    await using srv = await startTestServer({ STATIC_DIR: await builtUi() });
    const asset = await get(srv, '/assets/index-AbC123.js', { 'Accept-Encoding': 'br' });
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    for (const path of ['/', '/index.html', '/sw.js']) {
      const answer = await get(srv, path, { 'Accept-Encoding': 'br' });
      expect(answer.status, path).toBe(200);
      expect(answer.headers['cache-control'], path).toBe('no-cache');
    }
  });

  it('answers a repeat visit that still holds the page with 304 and no body', async () => {
    await using srv = await startTestServer({ STATIC_DIR: await builtUi() });
    const first = await get(srv, '/', { 'Accept-Encoding': 'br, gzip' });
    const tag = first.headers.etag;
    expect(typeof tag).toBe('string');
    const again = await get(srv, '/', { 'Accept-Encoding': 'br, gzip', 'If-None-Match': tag as string });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    // Another encoding is another representation: its own tag, a full answer.
    const gz = await get(srv, '/', { 'Accept-Encoding': 'gzip', 'If-None-Match': tag as string });
    expect(gz.status).toBe(200);
    expect(gunzipSync(gz.body).toString()).toBe(INDEX);
  });

  it('answers a source map with 404 and keeps its content to itself', async () => {
    await using srv = await startTestServer({ STATIC_DIR: await builtUi() });
    for (const path of [
      '/assets/index-AbC123.js.map',
      '/assets/INDEX-AbC123.js.MAP',
      '/assets/index-AbC123.js.map?x=1',
    ]) {
      const answer = await get(srv, path, { 'Accept-Encoding': 'br, gzip' });
      expect(answer.status, path).toBe(404);
      expect(answer.body.toString()).not.toContain('secret-source');
    }
  });

  it('serves source maps when the operator sets SERVE_SOURCE_MAPS=true', async () => {
    await using srv = await startTestServer({ STATIC_DIR: await builtUi(), SERVE_SOURCE_MAPS: 'true' });
    const answer = await get(srv, '/assets/index-AbC123.js.map');
    expect(answer.status).toBe(200);
    expect(answer.body.toString()).toContain('secret-source');
  });
});
