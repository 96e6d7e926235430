/** PROTOCOL.md › HTTP: health, readiness, metrics. */
import { describe, expect, it } from 'vitest';

import { startTestServer } from './helpers/server.js';

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
