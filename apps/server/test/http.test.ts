/** PROTOCOL.md › HTTP: health, readiness, metrics. */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { describe, expect, it, onTestFinished } from 'vitest';

import { makeTempDir, startTestServer } from './helpers/server.js';

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

  it('names the metrics PROTOCOL.md lists', async () => {
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

describe('static files and upgrade edge cases', () => {
  it('answers an unknown path with 404, not the app', async () => {
    await using srv = await startTestServer();
    const res = await fetch(`${srv.url}/no-such-page`);
    expect(res.status).toBe(404);
    await res.body?.cancel();
  });

  it('refuses a pre-standard WebSocket version with 426 and names version 13', async () => {
    await using srv = await startTestServer();
    const { request } = await import('node:http');
    const answer = await new Promise<{ status: number; version: string | undefined }>((resolve, reject) => {
      const req = request(`${srv.url}/ws`, {
        headers: {
          Connection: 'Upgrade',
          Upgrade: 'websocket',
          'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
          'Sec-WebSocket-Version': '8',
        },
      });
      req.on('response', (res) => {
        resolve({ status: res.statusCode ?? 0, version: res.headers['sec-websocket-version'] });
        res.resume();
      });
      req.on('upgrade', () => reject(new Error('upgraded with version 8')));
      req.on('error', reject);
      req.end();
    });
    expect(answer).toEqual({ status: 426, version: '13' });
  });
});
