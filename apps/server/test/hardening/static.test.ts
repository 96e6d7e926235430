/**
 * Hardening › static files and response headers: no path reaches a file
 * outside STATIC_DIR or a dotfile inside it, and every HTML page carries a
 * Content-Security-Policy that allows only this origin's scripts and its own
 * WebSocket endpoint.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { describe, expect, it, onTestFinished } from 'vitest';

import { rawRequest } from '../helpers/raw.js';
import { makeTempDir, startTestServer, type TestServer } from '../helpers/server.js';

const SECRET = 'TOP-SECRET';

/**
 * root/secret.txt            above STATIC_DIR
 * root/web-secret/secret.txt beside it (a prefix of its name)
 * root/web/                  STATIC_DIR: index.html, app.js, .env, sub/.git/config
 */
async function staticFixture(): Promise<{ root: string; web: string }> {
  const root = await makeTempDir();
  onTestFinished(() => rm(root, { recursive: true, force: true }));
  const web = join(root, 'web');
  await mkdir(join(web, 'sub', '.git'), { recursive: true });
  await mkdir(join(root, 'web-secret'), { recursive: true });
  await writeFile(join(root, 'secret.txt'), `${SECRET}-above`);
  await writeFile(join(root, 'web-secret', 'secret.txt'), `${SECRET}-beside`);
  await writeFile(join(web, '.env'), `${SECRET}-dotenv`);
  await writeFile(join(web, 'sub', '.git', 'config'), `${SECRET}-git`);
  await writeFile(
    join(web, 'index.html'),
    '<!doctype html><title>tether</title><script type="module" src="/app.js"></script>',
  );
  await writeFile(join(web, 'app.js'), 'console.log("app");');
  await writeFile(join(web, 'sub', 'page.html'), '<!doctype html><title>sub</title>');
  return { root, web };
}

function get(srv: TestServer, path: string, headers: string[] = []) {
  const port = srv.server.port;
  return rawRequest(
    port,
    [`GET ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Connection: close', ...headers, '', ''].join('\r\n'),
  );
}

describe('static files', () => {
  const escapes = [
    '/../secret.txt',
    '/..%2fsecret.txt',
    '/..%2Fsecret.txt',
    '/%2e%2e/secret.txt',
    '/%2E%2E/secret.txt',
    '/%2e%2e%2fsecret.txt',
    '/.%2e/secret.txt',
    '/%252e%252e/secret.txt',
    '/..%5csecret.txt',
    '/..\\secret.txt',
    '/sub/../../secret.txt',
    '/sub/%2e%2e/%2e%2e/secret.txt',
    '//../secret.txt',
    '/./../secret.txt',
    '/../web-secret/secret.txt',
    '/%2e%2e/web-secret/secret.txt',
    ['%2e%2e/ × 200', `/${'%2e%2e/'.repeat(200)}secret.txt`],
    '/%2fetc%2fpasswd',
    '//etc/passwd',
    '/app.js%00',
    '/app.js%00.html',
    '/index.html%00.txt',
    '/%00',
    '/.env',
    '/%2eenv',
    '/.%65nv',
    '/.env/',
    '/sub/.git/config',
    '/sub/%2egit/config',
    '/%2e%2e',
    '/%',
    '/%zz',
    ['an 8 KB name', `/${'a'.repeat(8192)}`],
    ['an 8 KB path of 4096 folders', `/${'a/'.repeat(4096)}`],
  ].map((entry): [string, string] => (typeof entry === 'string' ? [entry, entry] : [entry[0]!, entry[1]!]));

  it.each(escapes)('answers %s with a 4xx and never a file outside or hidden', async (_label, path) => {
    const { web } = await staticFixture();
    await using srv = await startTestServer({ STATIC_DIR: web });
    const res = await get(srv, path);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.raw.toString('latin1')).not.toContain(SECRET);
  });

  it('still serves the files it should', async () => {
    const { web } = await staticFixture();
    await using srv = await startTestServer({ STATIC_DIR: web });
    expect((await get(srv, '/app.js')).status).toBe(200);
    expect((await get(srv, '/sub/page.html')).status).toBe(200);
    expect((await get(srv, '/sub/../app.js')).status).toBe(200);
  });
});

/** The directives of a Content-Security-Policy, each a list of sources. */
function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map((parts) => [parts[0]!.toLowerCase(), parts.slice(1)]),
  );
}

function expectStrictCsp(csp: string | undefined, port: number, what: string): void {
  expect(csp, `${what}: Content-Security-Policy`).toBeDefined();
  const d = directives(csp!);
  const scripts = d.get('script-src') ?? d.get('default-src');
  expect(scripts, `${what}: script-src`).toBeDefined();
  for (const unsafe of ["'unsafe-inline'", "'unsafe-eval'", '*', 'data:', 'blob:', 'http:', 'https:']) {
    expect(scripts, `${what}: script-src allows ${unsafe}`).not.toContain(unsafe);
  }
  expect(scripts, `${what}: script-src`).toContain("'self'");
  const connect = d.get('connect-src') ?? d.get('default-src');
  expect(connect, `${what}: connect-src`).toEqual(
    expect.arrayContaining(["'self'", `ws://127.0.0.1:${port}`, `wss://127.0.0.1:${port}`]),
  );
  expect(connect, `${what}: connect-src`).not.toContain('*');
  expect(connect!.every((s) => s === "'self'" || s.endsWith(`//127.0.0.1:${port}`))).toBe(true);
  expect(d.get('object-src'), `${what}: object-src`).toEqual(["'none'"]);
  expect(d.get('base-uri'), `${what}: base-uri`).toBeDefined();
  expect(d.get('frame-ancestors'), `${what}: frame-ancestors`).toBeDefined();
}

function expectCommonHeaders(headers: Record<string, string>, what: string): void {
  expect(headers['x-content-type-options'], `${what}: X-Content-Type-Options`).toBe('nosniff');
  expect(
    ['no-referrer', 'same-origin', 'strict-origin', 'strict-origin-when-cross-origin'],
    `${what}: Referrer-Policy ${headers['referrer-policy']}`,
  ).toContain(headers['referrer-policy']);
}

describe('response headers', () => {
  it('sends a strict CSP, nosniff and a Referrer-Policy with every HTML page', async () => {
    const { web } = await staticFixture();
    await using srv = await startTestServer({ STATIC_DIR: web });
    const port = srv.server.port;
    for (const path of ['/', '/index.html', '/?utm=1', '/sub/page.html']) {
      const res = await get(srv, path);
      expect(res.status, path).toBe(200);
      expect(res.headers['content-type'], path).toMatch(/^text\/html/);
      expectStrictCsp(res.headers['content-security-policy'], port, path);
      expectCommonHeaders(res.headers, path);
    }
  });

  it('sends them with the page shown when the UI is not built', async () => {
    const empty = await makeTempDir();
    onTestFinished(() => rm(empty, { recursive: true, force: true }));
    await using srv = await startTestServer({ STATIC_DIR: empty });
    const res = await get(srv, '/');
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expectStrictCsp(res.headers['content-security-policy'], srv.server.port, 'not built');
    expectCommonHeaders(res.headers, 'not built');
  });

  it('sends nosniff and a Referrer-Policy with every other answer too', async () => {
    const { web } = await staticFixture();
    await using srv = await startTestServer({ STATIC_DIR: web });
    for (const path of [
      '/app.js',
      '/healthz',
      '/readyz',
      '/metrics',
      '/missing',
      '/../secret.txt',
      '/.env',
    ]) {
      expectCommonHeaders((await get(srv, path)).headers, path);
    }
  });

  it('does not let a forged Host header write into the policy', async () => {
    const { web } = await staticFixture();
    await using srv = await startTestServer({ STATIC_DIR: web });
    const port = srv.server.port;
    for (const host of [
      `127.0.0.1:${port}; script-src 'unsafe-inline'`,
      `evil.test 'unsafe-inline'`,
      `evil.test,script-src *`,
    ]) {
      const res = await rawRequest(
        port,
        [`GET / HTTP/1.1`, `Host: ${host}`, 'Connection: close', '', ''].join('\r\n'),
      );
      const csp = res.headers['content-security-policy'];
      if (res.status === 200) {
        expect(csp, host).toBeDefined();
        expect(csp, host).not.toContain('unsafe-inline');
        const d = directives(csp!);
        expect(d.get('script-src'), host).toEqual(["'self'"]);
        // At most the host itself (as the browser that sent it knows it), never a directive or a wildcard.
        for (const source of d.get('connect-src') ?? []) {
          expect(source, host).toMatch(/^('self'|wss?:\/\/[A-Za-z0-9.:-]+)$/);
        }
      } else {
        expect(res.status, host).toBeGreaterThanOrEqual(400);
      }
    }
  });
});
