/**
 * docs/protocol.md › HTTP routes: /healthz, /readyz and /metrics, the web UI from
 * STATIC_DIR, and what no request may get: a file outside STATIC_DIR or a
 * dotfile inside it (secrets are placed above, beside and inside the folder
 * to prove it). Every answer carries the security headers, every HTML page a
 * strict Content-Security-Policy.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { describe, expect, it, onTestFinished } from 'vitest';

import { rawRequest } from '../helpers/raw.js';
import { makeTempDir, startTestServer, type TestServer } from '../helpers/server.js';

describe('http', () => {
  it('answers /healthz with 200 {"status":"ok"}', async () => {
    await using srv = await startTestServer();
    const res = await fetch(`${srv.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz with 200 while the store answers', async () => {
    await using srv = await startTestServer();
    const res = await fetch(`${srv.url}/readyz`);
    expect(res.status).toBe(200);
    await res.body?.cancel();
  });

  it('serves Prometheus text on /metrics with connection and message metrics', async () => {
    await using srv = await startTestServer();
    const alice = await srv.user('alice');
    await alice.join('general');
    await alice.say('general', 'counted');
    const res = await fetch(`${srv.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type') ?? '').toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^# (HELP|TYPE) /m);
    const names = text
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => line.split(/[{ ]/)[0]!);
    expect(names.some((n) => /connection/i.test(n))).toBe(true);
    expect(names.some((n) => /message/i.test(n))).toBe(true);
    expect(names.some((n) => /room/i.test(n))).toBe(true);
  });

  it('names the metrics the protocol reference lists', async () => {
    await using srv = await startTestServer();
    const text = await (await fetch(`${srv.url}/metrics`)).text();
    const names = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => `${m[1]!} ${m[2]!}`);
    for (const [what, pattern] of [
      ['connections', /connection/i],
      ['rooms', /room/i],
      ['messages in', /message.*_in|in.*message/i],
      ['messages out', /message.*_out|out.*message/i],
      ['fan-out latency', /fan_?out.* (histogram|summary)$/i],
      ['store latency', /(store|storage|db|database).* (histogram|summary)$/i],
      ['heartbeats terminated', /heartbeat/i],
    ] as const) {
      expect(
        names.some((n) => pattern.test(n)),
        `${what} in:\n${names.join('\n')}`,
      ).toBe(true);
    }
  });

  it('serves the web UI from STATIC_DIR on / and its files by path', async () => {
    const dir = await makeTempDir();
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>tether-static-marker</title>');
    await writeFile(join(dir, 'app.js'), 'console.log("tether-js-marker");');
    await using srv = await startTestServer({ STATIC_DIR: dir });
    const index = await fetch(`${srv.url}/`);
    expect(index.status).toBe(200);
    expect(await index.text()).toContain('tether-static-marker');
    const script = await fetch(`${srv.url}/app.js`);
    expect(script.status).toBe(200);
    expect(await script.text()).toContain('tether-js-marker');
  });

  it('counts an open connection in the connection metrics', async () => {
    await using srv = await startTestServer();
    const sample = async () => {
      const text = await (await fetch(`${srv.url}/metrics`)).text();
      return text
        .split('\n')
        .filter((l) => !l.startsWith('#') && /connection/i.test(l.split(/[{ ]/)[0] ?? ''))
        .join('\n');
    };
    const before = await sample();
    const client = await srv.user('alice');
    await client.roundTrip();
    const during = await sample();
    expect(during).not.toEqual(before);
  });
});

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

  it('answers an unknown path with 404, not the app', async () => {
    await using srv = await startTestServer();
    const res = await fetch(`${srv.url}/no-such-page`);
    expect(res.status).toBe(404);
    await res.body?.cancel();
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
