/**
 * docs/protocol.md › Transport › Origin: an upgrade whose `Origin` is present and
 * is neither the server's own origin (same host and port as the request's
 * `Host`) nor in ALLOWED_ORIGINS gets HTTP 403 before any handshake. Raw
 * requests send what no WebSocket library would.
 */
import { describe, expect, it } from 'vitest';

import { upgradeStatus } from '../helpers/client.js';
import { sample, scrape } from '../helpers/metrics.js';
import { handshake, rawRequest } from '../helpers/raw.js';
import { startTestServer } from '../helpers/server.js';

describe('Origin check before the handshake', () => {
  const ALLOWED = 'https://app.example.com';

  it('allows an upgrade without Origin (a non-browser client)', async () => {
    await using srv = await startTestServer();
    expect(await upgradeStatus(srv.wsUrl)).toBe(101);
  });

  it("allows the server's own origin (same host and port as Host)", async () => {
    await using srv = await startTestServer();
    expect(await upgradeStatus(srv.wsUrl, { origin: `http://127.0.0.1:${srv.server.port}` })).toBe(101);
  });

  it('refuses the same host and port with another scheme: https://host is not the page an http server served', async () => {
    await using srv = await startTestServer();
    expect(await upgradeStatus(srv.wsUrl, { origin: `https://127.0.0.1:${srv.server.port}` })).toBe(403);
  });

  it('takes the scheme from a trusted proxy (X-Forwarded-Proto), and only from one', async () => {
    const own = (srv: { server: { port: number } }, scheme: string) =>
      `${scheme}://127.0.0.1:${srv.server.port}`;
    await using behind = await startTestServer({ TRUSTED_PROXIES: '127.0.0.1' });
    const tls = { 'X-Forwarded-Proto': 'https' };
    expect(await upgradeStatus(behind.wsUrl, { origin: own(behind, 'https'), headers: tls })).toBe(101);
    expect(await upgradeStatus(behind.wsUrl, { origin: own(behind, 'http'), headers: tls })).toBe(403);
    await using direct = await startTestServer();
    expect(await upgradeStatus(direct.wsUrl, { origin: own(direct, 'https'), headers: tls })).toBe(403);
  });

  it('refuses foreign, null and look-alike origins with 403 and no handshake', async () => {
    // With ALLOWED_ORIGINS and without it: no list does not mean anyone.
    for (const allowed of [ALLOWED, undefined]) {
      await using srv = await startTestServer(allowed === undefined ? {} : { ALLOWED_ORIGINS: allowed });
      const port = srv.server.port;
      const own = `127.0.0.1:${port}`;
      const otherPort = port === 65535 ? 65534 : port + 1;
      const origins = [
        'http://evil.test',
        'http://evil.example',
        'https://evil.example:443',
        'https://other.example.com',
        'null',
        '',
        `http://${own}.evil.test`,
        `http://evil.test/${own}`,
        `http://evil.test/http://${own}`,
        `http://${own}@evil.test`,
        `http://evil.test?${own}`,
        `http://evil.test#${own}`,
        `http://127.0.0.1:${port}0`,
        `http://127.0.0.1:${otherPort}`,
        'http://127.0.0.1:1',
        `ws://${own}`,
        `file://${own}`,
        `${ALLOWED}.evil.test`,
        `https://evil.test/${ALLOWED}`,
        'https://app.example.com:444',
        'http://app.example.com',
        'https://app.example.com.',
      ];
      const answers: string[] = [];
      for (const origin of origins) {
        const res = await rawRequest(port, handshake(port, [`Origin: ${origin}`]));
        answers.push(`${JSON.stringify(origin)} → ${res.status}`);
        expect(res.headers['sec-websocket-accept'], origin).toBeUndefined();
        expect(res.closedByServer, origin).toBe(true);
      }
      expect(answers, `ALLOWED_ORIGINS ${allowed ?? 'unset'}`).toEqual(
        origins.map((origin) => `${JSON.stringify(origin)} → 403`),
      );
      // Refused before the handshake: no WebSocket was ever counted.
      expect(sample(await scrape(srv.url), 'tether_connections')).toBe(0);
    }
  });

  it('judges look-alikes of localhost:PORT against the Host the browser used', async () => {
    await using srv = await startTestServer();
    const port = srv.server.port;
    const asLocalhost = (origin: string) =>
      rawRequest(
        port,
        handshake(port, [`Origin: ${origin}`]).replace(`Host: 127.0.0.1:${port}`, `Host: localhost:${port}`),
      );
    for (const origin of [
      `http://localhost:${port}.evil.test`,
      `http://evil.test/localhost:${port}`,
      `http://localhost.evil.test:${port}`,
      `http://localhost:${port}@evil.test`,
    ]) {
      expect((await asLocalhost(origin)).status, origin).toBe(403);
    }
    expect((await asLocalhost(`http://localhost:${port}`)).status).toBe(101);
  });

  it("judges the server's own origin by the request's Host header", async () => {
    await using srv = await startTestServer();
    const port = srv.server.port;
    const asLocalhost = { headers: { Host: `localhost:${port}` } };
    expect(await upgradeStatus(srv.wsUrl, { ...asLocalhost, origin: `http://localhost:${port}` })).toBe(101);
    expect(await upgradeStatus(srv.wsUrl, { ...asLocalhost, origin: `http://127.0.0.1:${port}` })).toBe(403);
    // No port in Host or Origin: both mean port 80 over http.
    expect(
      await upgradeStatus(srv.wsUrl, { headers: { Host: 'chat.example' }, origin: 'http://chat.example' }),
    ).toBe(101);
  });

  it('accepts the origins in ALLOWED_ORIGINS however the browser spells them, and its own', async () => {
    await using srv = await startTestServer({ ALLOWED_ORIGINS: `${ALLOWED},http://localhost:5173` });
    const port = srv.server.port;
    for (const origin of [
      ALLOWED,
      'https://app.example.com:443',
      'HTTPS://APP.EXAMPLE.COM',
      'http://localhost:5173',
      `http://127.0.0.1:${port}`,
    ]) {
      const res = await rawRequest(port, handshake(port, [`Origin: ${origin}`]));
      expect(res.status, origin).toBe(101);
      expect(res.headers['sec-websocket-accept'], origin).toBeDefined();
    }
  });
});
