/**
 * docs/protocol.md › Transport › JSON rules: a text frame that is not a request
 * the protocol names (not JSON, the wrong shape, a field out of range, JSON
 * built to hurt a parser) is answered `bad_request`, and the connection is
 * served on; fields the protocol does not name are ignored.
 */
import { CLOSE_CODES, ERROR_CODES, LIMITS } from '@tether/protocol';
import { describe, expect, it } from 'vitest';

import { isError, type TestClient } from '../helpers/client.js';
import { startTestServer } from '../helpers/server.js';

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
});

/** `depth` arrays around `inner`: `[[[inner]]]`. */
const arrays = (depth: number, inner = '1') => '['.repeat(depth) + inner + ']'.repeat(depth);
/** `depth` objects around `inner`: `{"a":{"a":inner}}`. */
const objects = (depth: number, inner = '1') => '{"a":'.repeat(depth) + inner + '}'.repeat(depth);

describe('hostile JSON', () => {
  /** Sends each frame, expects bad_request for each, and a pong after: still served. */
  async function expectBadRequests(client: TestClient, frames: readonly string[]): Promise<void> {
    for (const frame of frames) {
      client.sendRaw(frame);
      const answer = await client.next(['error', 'pong', 'welcome', 'ack', 'joined'], 5000);
      expect(answer, frame.slice(0, 80)).toMatchObject({ type: 'error', code: ERROR_CODES.BAD_REQUEST });
    }
    await client.roundTrip();
  }

  it('answers JSON nested 10,000 deep (and as deep as 64 KiB allows) with bad_request, and serves on', async () => {
    await using srv = await startTestServer();
    const client = await srv.user('deep');
    await client.join('general');
    const deepest = Math.floor((LIMITS.MAX_FRAME_BYTES - 64) / 2);
    await expectBadRequests(client, [
      arrays(10_000),
      objects(10_000),
      `{"type":"send","room":"general","id":"d1","text":${arrays(10_000, '"x"')}}`,
      `{"type":"hello","v":1,"name":${objects(10_000, '"x"')}}`,
      // A lone surrogate at the bottom: the surrogate walk must not recurse.
      `{"type":"ping","t":1,"x":${arrays(deepest - 20, '"\\ud800"')}}`,
      arrays(deepest),
    ]);
    // Deep nesting in a field the protocol ignores is just ignored.
    client.sendRaw(`{"type":"ping","t":7,"x":${arrays(10_000)}}`);
    expect(await client.next('pong')).toEqual({ type: 'pong', t: 7 });
  });

  it('treats __proto__ and constructor as plain keys and values: no prototype pollution', async () => {
    const protoKeys = Object.getOwnPropertyNames(Object.prototype).sort();
    const arrayKeys = Object.getOwnPropertyNames(Array.prototype).sort();
    await using srv = await startTestServer();
    const polluter = await srv.connect();
    polluter.sendRaw(
      '{"type":"hello","v":1,"name":"__proto__","__proto__":{"polluted":"hello","type":"send"},' +
        '"constructor":{"prototype":{"polluted":"hello"}}}',
    );
    const { user } = await polluter.next('welcome');
    expect(user.name).toBe('__proto__');
    for (const name of ['constructor', 'hasOwnProperty', 'toString', 'prototype']) {
      expect((await srv.user(name)).user!.name).toBe(name);
    }
    polluter.sendRaw('{"type":"join","room":"constructor","__proto__":{"polluted":"join","since":0}}');
    const joined = await polluter.next('joined');
    expect(joined.room).toBe('constructor');
    polluter.sendRaw('{"type":"join","room":"prototype"}');
    expect(await polluter.next('joined')).toMatchObject({ room: 'prototype' });
    for (const id of ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty']) {
      polluter.sendRaw(
        JSON.stringify({ type: 'send', room: 'constructor', id, text: id }).replace(
          '}',
          ',"__proto__":{"polluted":"send","from":{"id":"u_x","name":"x"}}}',
        ),
      );
      expect(await polluter.next('ack')).toMatchObject({ room: 'constructor', id });
    }
    // The id `__proto__` is an idempotency key like any other.
    polluter.send({ type: 'send', room: 'constructor', id: '__proto__', text: 'again' });
    expect(await polluter.next('ack')).toMatchObject({ id: '__proto__', seq: 1 });
    polluter.send({ type: 'history', room: 'constructor', limit: 100 });
    const history = await polluter.next('history');
    expect(history.messages.map((m) => m.id)).toEqual([
      '__proto__',
      'constructor',
      'toString',
      'valueOf',
      'hasOwnProperty',
    ]);
    expect(history.messages.every((m) => m.from.id === user.id)).toBe(true);
    polluter.send({ type: 'hello', v: 1, name: 'x', token: '__proto__' });
    await polluter.nextError(ERROR_CODES.BAD_REQUEST); // a second hello
    const stranger = await srv.connect();
    stranger.send({ type: 'hello', v: 1, name: 'x', token: '__proto__' });
    await stranger.nextError(ERROR_CODES.INVALID_TOKEN);
    stranger.send({ type: 'rooms' });
    await stranger.nextError(ERROR_CODES.NOT_AUTHENTICATED);

    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoKeys);
    expect(Object.getOwnPropertyNames(Array.prototype).sort()).toEqual(arrayKeys);
    expect(Object.prototype.toString.call({})).toBe('[object Object]');
  });

  it('answers numbers beyond what a field can hold with bad_request and echoes the ones it can', async () => {
    await using srv = await startTestServer();
    const client = await srv.user('numbers');
    await client.join('general');
    await expectBadRequests(client, [
      '{"type":"ping","t":1e309}',
      '{"type":"ping","t":-1e309}',
      `{"type":"ping","t":1${'0'.repeat(60_000)}}`,
      '{"type":"join","room":"general","since":9007199254740993,"epoch":"e"}',
      '{"type":"join","room":"general","since":1e300,"epoch":"e"}',
      '{"type":"history","room":"general","limit":1e300}',
      '{"type":"history","room":"general","before":1e400}',
    ]);
    for (const t of ['1e308', '-1e308', '5e-324', '123456789012345678901234567890', '-0']) {
      client.sendRaw(`{"type":"ping","t":${t}}`);
      const pong = await client.next('pong');
      expect(pong.t).toBe(Number(t) === 0 ? 0 : Number(t));
    }
    // A version that is a number but not 1 (Infinity here) is another version.
    const other = await srv.connect();
    other.sendRaw('{"type":"hello","v":1e400,"name":"x"}');
    await other.nextError(ERROR_CODES.UNSUPPORTED_VERSION);
    expect((await other.closed()).code).toBe(CLOSE_CODES.PROTOCOL_ERROR);
    await client.roundTrip();
  });

  it('answers lone surrogates anywhere in a frame with bad_request, and accepts real pairs', async () => {
    await using srv = await startTestServer();
    const client = await srv.user('surrogates');
    await client.join('general');
    await expectBadRequests(client, [
      '{"type":"send","room":"general","id":"s1","text":"hi \\ud800"}',
      '{"type":"send","room":"general","id":"s2","text":"\\udc00\\ud800"}',
      '{"type":"join","room":"gen\\udfff"}',
      '{"type":"ping","t":1,"ignored":{"deep":["\\ud83d"]}}',
    ]);
    const fresh = await srv.connect();
    fresh.sendRaw('{"type":"hello","v":1,"name":"al\\udfffice"}');
    await fresh.nextError(ERROR_CODES.BAD_REQUEST);
    fresh.sendRaw('{"type":"hello","v":1,"name":"x","token":"\\ud800"}');
    await fresh.nextError(ERROR_CODES.BAD_REQUEST);
    client.sendRaw('{"type":"send","room":"general","id":"pair","text":"\\ud83d\\ude00"}');
    expect(await client.next('ack')).toMatchObject({ id: 'pair' });
    expect((await client.next('message')).text).toBe('😀');
  });

  it('survives a burst of hostile frames from many connections, closing the noisy ones with 1008', async () => {
    await using srv = await startTestServer();
    const hostile = [
      arrays(10_000),
      '{"type":"ping","t":1e309}',
      '{"__proto__":{"type":"ping"}}',
      '{"type":"send","room":"general","id":"x","text":"\\ud800"}',
      'null',
      '{"type":"constructor"}',
      '{"type":"__proto__"}',
      '{"type":"toString"}',
      '{"type":"hasOwnProperty"}',
    ];
    const clients = await Promise.all(Array.from({ length: 10 }, (_, i) => srv.user(`hostile${i}`)));
    for (const client of clients) {
      for (let round = 0; round < 3; round++) for (const frame of hostile) client.sendRaw(frame);
    }
    for (const client of clients) {
      const errors = await client.collect(LIMITS.MAX_BAD_REQUESTS_PER_WINDOW, isError, 5000);
      expect(errors.every((e) => e.code === ERROR_CODES.BAD_REQUEST)).toBe(true);
      expect((await client.closed(5000)).code).toBe(CLOSE_CODES.POLICY_VIOLATION);
    }
    const calm = await srv.user('calm');
    await calm.roundTrip();
  });
});
