/** PROTOCOL.md › Transport: the upgrade, origins, framing and malformed frames. */
import { CLOSE_CODES, ERROR_CODES, LIMITS } from '@tether/protocol';
import { describe, expect, it } from 'vitest';

import { upgradeStatus, type TestClient } from './helpers/client.js';
import { startTestServer } from './helpers/server.js';

describe('upgrade path', () => {
  it('accepts a WebSocket on /ws', async () => {
    await using srv = await startTestServer();
    expect(await upgradeStatus(srv.wsUrl)).toBe(101);
  });

  it.each(['/', '/other', '/ws/', '/wsx', '/ws/x', '/api/ws', '/WS'])(
    'refuses an upgrade on %s with HTTP 404',
    async (path) => {
      await using srv = await startTestServer();
      expect(await upgradeStatus(`ws://127.0.0.1:${srv.server.port}${path}`)).toBe(404);
    },
  );

  it('ignores a query string on /ws', async () => {
    await using srv = await startTestServer();
    const client = await srv.connect({ path: '/ws?token=abc&x=1' });
    const welcome = await client.hello('query');
    expect(welcome.user.name).toBe('query');
  });
});

describe('origin check', () => {
  it('allows an upgrade without Origin (a non-browser client)', async () => {
    await using srv = await startTestServer();
    expect(await upgradeStatus(srv.wsUrl)).toBe(101);
  });

  it("allows the server's own origin (same host and port as Host)", async () => {
    await using srv = await startTestServer();
    expect(await upgradeStatus(srv.wsUrl, { origin: `http://127.0.0.1:${srv.server.port}` })).toBe(101);
  });

  it.each(['http://evil.example', 'https://evil.example:443', 'http://127.0.0.1:1', 'null'])(
    'refuses the foreign origin %s with HTTP 403',
    async (origin) => {
      await using srv = await startTestServer();
      expect(await upgradeStatus(srv.wsUrl, { origin })).toBe(403);
    },
  );

  it('refuses the same host on another port with HTTP 403', async () => {
    await using srv = await startTestServer();
    const otherPort = srv.server.port === 65535 ? 65534 : srv.server.port + 1;
    expect(await upgradeStatus(srv.wsUrl, { origin: `http://127.0.0.1:${otherPort}` })).toBe(403);
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

  it('allows origins listed in ALLOWED_ORIGINS and still refuses others', async () => {
    await using srv = await startTestServer({
      ALLOWED_ORIGINS: 'https://app.example.com,http://localhost:5173',
    });
    expect(await upgradeStatus(srv.wsUrl, { origin: 'https://app.example.com' })).toBe(101);
    expect(await upgradeStatus(srv.wsUrl, { origin: 'http://localhost:5173' })).toBe(101);
    expect(await upgradeStatus(srv.wsUrl, { origin: 'https://other.example.com' })).toBe(403);
    expect(await upgradeStatus(srv.wsUrl, { origin: `http://127.0.0.1:${srv.server.port}` })).toBe(101);
  });
});

describe('framing', () => {
  it('closes with 1003 on a binary frame', async () => {
    await using srv = await startTestServer();
    const client = await srv.user('binary');
    client.sendRaw(Buffer.from(JSON.stringify({ type: 'ping', t: 1 })));
    expect((await client.closed()).code).toBe(CLOSE_CODES.UNSUPPORTED_DATA);
  });

  it('closes with 1003 on a binary frame before hello', async () => {
    await using srv = await startTestServer();
    const client = await srv.connect();
    client.sendRaw(Buffer.from([1, 2, 3]));
    expect((await client.closed()).code).toBe(1003);
  });

  it('completes a normal close with 1000', async () => {
    await using srv = await startTestServer();
    const client = await srv.user('leaving');
    expect((await client.close(1000)).code).toBe(CLOSE_CODES.NORMAL);
  });

  it('closes with 1009 on a frame of MAX_FRAME_BYTES + 1 bytes', async () => {
    await using srv = await startTestServer();
    const client = await srv.user('big');
    client.sendRaw(frameOfBytes(LIMITS.MAX_FRAME_BYTES + 1));
    expect((await client.closed()).code).toBe(CLOSE_CODES.MESSAGE_TOO_BIG);
  });

  it('accepts a frame of exactly MAX_FRAME_BYTES bytes', async () => {
    await using srv = await startTestServer();
    const client = await srv.user('edge');
    const frame = frameOfBytes(LIMITS.MAX_FRAME_BYTES, 4242);
    expect(Buffer.byteLength(frame)).toBe(65_536);
    client.sendRaw(frame);
    expect(await client.next('pong')).toMatchObject({ type: 'pong', t: 4242 });
    expect(client.isOpen()).toBe(true);
  });
});

/** A `ping` with an ignored padding field, exactly `bytes` long in UTF-8. */
function frameOfBytes(bytes: number, t = 1): string {
  const empty = JSON.stringify({ type: 'ping', t, pad: '' });
  return JSON.stringify({ type: 'ping', t, pad: 'x'.repeat(bytes - empty.length) });
}

describe('malformed frames', () => {
  it.each([
    ['not JSON', 'hello there'],
    ['truncated JSON', '{"type":"ping","t":1'],
    ['a JSON array', '[{"type":"ping","t":1}]'],
    ['a JSON string', '"ping"'],
    ['JSON null', 'null'],
    ['a JSON number', '42'],
    ['an object without type', '{"t":1}'],
    ['a non-string type', '{"type":7}'],
    ['an unknown type', '{"type":"shout","text":"hi"}'],
  ])('answers %s with bad_request and keeps the connection', async (_what, raw) => {
    await using srv = await startTestServer();
    const client = await srv.user('junk');
    client.sendRaw(raw);
    const error = await client.nextError(ERROR_CODES.BAD_REQUEST);
    expect(typeof error.message).toBe('string');
    await client.roundTrip();
  });

  it('answers a room given as a number with bad_request and no room', async () => {
    await using srv = await startTestServer();
    const client = await srv.user('numroom');
    client.send({ type: 'join', room: 5 });
    const error = await client.nextError(ERROR_CODES.BAD_REQUEST);
    expect(error.room).toBeUndefined();
    await client.roundTrip();
  });

  it('echoes the room of a request with an unknown type', async () => {
    await using srv = await startTestServer();
    const client = await srv.user('unknowntype');
    client.send({ type: 'shout', room: 'general' });
    expect(await client.nextError(ERROR_CODES.BAD_REQUEST)).toMatchObject({ room: 'general' });
  });

  it.each([
    ['since as a string', { since: 'yesterday' }],
    ['a negative since', { since: -1 }],
    ['a fractional since', { since: 1.5 }],
    ['epoch as a number', { since: 1, epoch: 7 }],
  ])('answers a join with %s with bad_request', async (_what, extra) => {
    await using srv = await startTestServer();
    const client = await srv.user('badjoin');
    client.send({ type: 'join', room: 'general', ...extra });
    expect(await client.nextError(ERROR_CODES.BAD_REQUEST)).toMatchObject({ room: 'general' });
  });

  it('echoes the room of a request with a field of the wrong type', async () => {
    await using srv = await startTestServer();
    const client = await srv.user('wrongtype');
    client.send({ type: 'join', room: 'general', since: 'yesterday' });
    expect(await client.nextError(ERROR_CODES.BAD_REQUEST)).toMatchObject({ room: 'general' });
    client.send({ type: 'history', room: 'general', limit: '5' });
    expect(await client.nextError(ERROR_CODES.BAD_REQUEST)).toMatchObject({ room: 'general' });
  });

  it('answers a send whose text is not a string with bad_request echoing room and id', async () => {
    await using srv = await startTestServer();
    const client = await srv.user('badsend');
    await client.join('general');
    client.send({ type: 'send', room: 'general', id: 'm1', text: 42 });
    expect(await client.nextError(ERROR_CODES.BAD_REQUEST)).toMatchObject({ room: 'general', id: 'm1' });
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['65 characters', 'a'.repeat(65)],
    ['with a space', 'a b'],
    ['with a dot', 'a.b'],
    ['a number', 7],
  ])('answers a send with an id %s with bad_request', async (_what, id) => {
    await using srv = await startTestServer();
    const client = await srv.user('badid');
    await client.join('general');
    client.send({ type: 'send', room: 'general', id, text: 'hi' });
    expect(await client.nextError(ERROR_CODES.BAD_REQUEST)).toMatchObject({ room: 'general' });
    await client.expectNoFrame('ack', 100);
  });

  it('accepts an id of 64 characters of [A-Za-z0-9_-]', async () => {
    await using srv = await startTestServer();
    const client = await srv.user('longid');
    await client.join('general');
    const id = `Az09_-${'x'.repeat(58)}`;
    expect(id).toHaveLength(64);
    expect(await client.say('general', 'hi', id)).toMatchObject({ id, seq: 1 });
  });

  it('ignores fields it does not name', async () => {
    await using srv = await startTestServer();
    const client = await srv.connect();
    client.send({ type: 'hello', v: 1, name: 'extra', color: 'blue', nested: { a: [1] } });
    expect(await client.next('welcome')).toMatchObject({ user: { name: 'extra' } });
    client.send({ type: 'join', room: 'general', priority: 'high' });
    expect(await client.next('joined')).toMatchObject({ room: 'general' });
    client.send({ type: 'send', room: 'general', id: 'x1', text: 'hi', format: 'html' });
    expect(await client.next('ack')).toMatchObject({ id: 'x1', seq: 1 });
    client.send({ type: 'ping', t: 5, extra: true });
    expect(await client.next('pong')).toMatchObject({ t: 5 });
    client.sendRaw('{"type":"ping","t":6,"__proto__":{"type":"send"},"constructor":{"prototype":{"x":1}}}');
    expect(await client.next('pong')).toEqual({ type: 'pong', t: 6 });
    client.send({ type: 'rooms', filter: 'all' });
    expect(await client.next('rooms')).toMatchObject({ type: 'rooms' });
  });

  it('serves clients that connect after one was closed for a binary frame', async () => {
    await using srv = await startTestServer();
    const bad = await srv.user('bad');
    bad.sendRaw(Buffer.from('x'));
    await bad.closed();
    const good: TestClient = await srv.user('good');
    await good.roundTrip();
  });
});
