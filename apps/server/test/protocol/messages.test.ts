/** docs/protocol.md › Messages: send, ack, fan-out, ordering, idempotency, text rules. */
import { ERROR_CODES, LIMITS } from '@tether/protocol';
import { describe, expect, it } from 'vitest';

import { isAck, isMessage } from '../helpers/client.js';
import { startTestServer } from '../helpers/server.js';

const FAST = { RATE_LIMIT_PER_SEC: '100000', RATE_LIMIT_BURST: '100000' };

describe('send', () => {
  it('answers ack, then message, on the sender connection', async () => {
    await using srv = await startTestServer();
    const alice = await srv.user('alice');
    await alice.join('general');
    const before = Date.now();
    alice.send({ type: 'send', room: 'general', id: 'c_first', text: 'hi' });
    const first = await alice.next();
    const second = await alice.next();
    const after = Date.now();
    expect(first).toEqual({
      type: 'ack',
      room: 'general',
      id: 'c_first',
      seq: 1,
      ts: expect.any(Number) as unknown,
    });
    expect(second).toEqual({
      type: 'message',
      room: 'general',
      seq: 1,
      ts: first.type === 'ack' ? first.ts : -1,
      id: 'c_first',
      from: alice.user,
      text: 'hi',
      rev: 1,
    });
    // `ts` is the server's clock in ms since the epoch (same machine here).
    const ts = first.type === 'ack' ? first.ts : 0;
    expect(ts).toBeGreaterThanOrEqual(before - 5);
    expect(ts).toBeLessThanOrEqual(after + 5);
  });

  it("delivers to every connection in the room, the sender's other connections included", async () => {
    await using srv = await startTestServer();
    const tab1 = await srv.user('alice');
    const tab2 = await srv.user('alice', tab1.token);
    const tabOutside = await srv.user('alice', tab1.token);
    const bob = await srv.user('bob');
    const carol = await srv.user('carol');
    for (const c of [tab1, tab2, bob]) await c.join('general');
    await carol.join('elsewhere');
    await tabOutside.join('elsewhere');
    const ack = await tab1.say('general', 'to all');
    const expected = {
      type: 'message',
      room: 'general',
      seq: ack.seq,
      ts: ack.ts,
      id: ack.id,
      from: tab1.user,
      text: 'to all',
      rev: ack.seq,
    };
    expect(await tab1.next('message')).toEqual(expected);
    expect(await tab2.next('message')).toEqual(expected);
    expect(await bob.next('message')).toEqual(expected);
    await carol.expectNoFrame('message', 200);
    await tabOutside.expectNoFrame('message', 0);
  });

  it('does not deliver to connections that never joined the room', async () => {
    await using srv = await startTestServer();
    const alice = await srv.user('alice');
    const lurker = await srv.user('lurker');
    await alice.join('general');
    await alice.say('general', 'private-ish');
    await lurker.expectNoFrame('message', 300);
  });

  it('numbers messages 1..N without gaps and delivers them in seq order', async () => {
    await using srv = await startTestServer(FAST);
    const alice = await srv.user('alice');
    const bob = await srv.user('bob');
    await alice.join('general');
    await bob.join('general');
    const acks = await alice.fill('general', 40);
    expect(acks.map((a) => a.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const delivered = await bob.collect(40, isMessage);
    expect(delivered.map((m) => m.seq)).toEqual(acks.map((a) => a.seq));
    expect(delivered.map((m) => m.id)).toEqual(acks.map((a) => a.id));
    // On the sender's connection each ack comes before its message, and messages come in seq order.
    const position = (type: string, id: string) =>
      alice.received.findIndex((f) => f.type === type && 'id' in f && f.id === id);
    for (const ack of acks) {
      const ackAt = position('ack', ack.id);
      const messageAt = position('message', ack.id);
      expect(ackAt, ack.id).toBeGreaterThanOrEqual(0);
      expect(messageAt, ack.id).toBeGreaterThan(ackAt);
    }
    const own = alice.received.filter(isMessage).map((m) => m.seq);
    expect(own).toEqual(acks.map((a) => a.seq));
  });

  it('keeps one seq order when several users send at once', async () => {
    await using srv = await startTestServer(FAST);
    const writers = await Promise.all(['w1', 'w2', 'w3'].map((name) => srv.user(name)));
    const reader = await srv.user('reader');
    for (const c of [...writers, reader]) await c.join('general');
    const acks = (await Promise.all(writers.map((w) => w.fill('general', 15)))).flat();
    expect(acks.map((a) => a.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 45 }, (_, i) => i + 1));
    const delivered = await reader.collect(45, isMessage);
    expect(delivered.map((m) => m.seq)).toEqual(Array.from({ length: 45 }, (_, i) => i + 1));
  });

  it('answers a send to a room the connection is not in with not_in_room, echoing id and room', async () => {
    await using srv = await startTestServer();
    const alice = await srv.user('alice');
    alice.send({ type: 'send', room: 'general', id: 'c_x', text: 'hi' });
    expect(await alice.nextError(ERROR_CODES.NOT_IN_ROOM)).toMatchObject({ id: 'c_x', room: 'general' });
  });

  it('answers a send with an invalid room with invalid_room, echoing id and room', async () => {
    await using srv = await startTestServer();
    const alice = await srv.user('alice');
    alice.send({ type: 'send', room: 'No Such', id: 'c_y', text: 'hi' });
    expect(await alice.nextError(ERROR_CODES.INVALID_ROOM)).toMatchObject({ id: 'c_y', room: 'No Such' });
  });

  it('ignores a from field sent by the client', async () => {
    await using srv = await startTestServer();
    const mallory = await srv.user('mallory');
    const bob = await srv.user('bob');
    await mallory.join('general');
    await bob.join('general');
    mallory.send({
      type: 'send',
      room: 'general',
      id: 'spoof',
      text: 'I am bob',
      from: { id: bob.user!.id, name: 'bob' },
      ts: 1,
      seq: 999,
    });
    const message = await bob.next('message');
    expect(message.from).toEqual(mallory.user);
    expect(message.seq).toBe(1);
    expect(message.ts).toBeGreaterThan(1_000_000_000_000);
  });
});

describe('idempotent send', () => {
  it('answers a resend of the same id with the same ack and no new message', async () => {
    await using srv = await startTestServer();
    const alice = await srv.user('alice');
    const bob = await srv.user('bob');
    await alice.join('general');
    await bob.join('general');
    const first = await alice.say('general', 'once', 'c_dup');
    await bob.next('message');
    alice.clear();
    const second = await alice.say('general', 'once', 'c_dup');
    expect(second).toEqual(first);
    const third = await alice.say('general', 'different text, same id', 'c_dup');
    expect(third).toEqual(first);
    await bob.expectNoFrame('message', 300);
    await alice.expectNoFrame('message', 0);
    const reader = await srv.user('reader');
    const joined = await reader.join('general');
    expect(joined.seq).toBe(1);
    expect(joined.messages.map((m) => m.text)).toEqual(['once']);
  });

  it('stores one message when the same id is sent several times back to back', async () => {
    await using srv = await startTestServer();
    const alice = await srv.user('alice');
    const bob = await srv.user('bob');
    await alice.join('general');
    await bob.join('general');
    for (let i = 0; i < 5; i++)
      alice.send({ type: 'send', room: 'general', id: 'c_burst', text: 'once only' });
    const acks = await alice.collect(5, isAck);
    expect(new Set(acks.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(acks[0]).toMatchObject({ id: 'c_burst', seq: 1 });
    expect(await bob.next('message')).toMatchObject({ id: 'c_burst', seq: 1 });
    await bob.expectNoFrame('message', 300);
    await alice.say('general', 'next');
    expect((await bob.next('message')).seq).toBe(2);
  });

  it('stores one message when two connections of a user send the same id at once', async () => {
    await using srv = await startTestServer();
    const tab1 = await srv.user('alice');
    const tab2 = await srv.user('alice', tab1.token);
    const bob = await srv.user('bob');
    for (const c of [tab1, tab2, bob]) await c.join('general');
    tab1.send({ type: 'send', room: 'general', id: 'c_race', text: 'racing' });
    tab2.send({ type: 'send', room: 'general', id: 'c_race', text: 'racing' });
    const [a1, a2] = await Promise.all([tab1.next('ack'), tab2.next('ack')]);
    expect(a2).toEqual(a1);
    expect(await bob.next('message')).toMatchObject({ id: 'c_race' });
    await bob.expectNoFrame('message', 300);
  });

  it('treats the id as unique per user in any room', async () => {
    await using srv = await startTestServer();
    const alice = await srv.user('alice');
    const bob = await srv.user('bob');
    await alice.join('one');
    await alice.join('two');
    await bob.join('two');
    const first = await alice.say('one', 'in one', 'c_any');
    const again = await alice.say('two', 'in two', 'c_any');
    expect(again).toEqual(first);
    await bob.expectNoFrame('message', 300);
  });

  it('answers the same ack even after the sender left the room', async () => {
    await using srv = await startTestServer();
    const alice = await srv.user('alice');
    await alice.join('general');
    const first = await alice.say('general', 'then I left', 'c_left');
    alice.send({ type: 'leave', room: 'general' });
    await alice.next('left');
    expect(await alice.say('general', 'then I left', 'c_left')).toEqual(first);
  });

  it('answers the same ack across a reconnect', async () => {
    await using srv = await startTestServer();
    const alice = await srv.user('alice');
    const bob = await srv.user('bob');
    await alice.join('general');
    await bob.join('general');
    const first = await alice.say('general', 'before reconnect', 'c_rc');
    await bob.next('message');
    alice.terminate();
    const again = await srv.user('alice', alice.token);
    expect(await again.say('general', 'before reconnect', 'c_rc')).toEqual(first);
    await again.join('general');
    expect(await again.say('general', 'before reconnect', 'c_rc')).toEqual(first);
    await bob.expectNoFrame('message', 300);
  });

  it('answers the same ack across a server restart', async () => {
    await using srv = await startTestServer();
    const alice = await srv.user('alice');
    await alice.join('general');
    const first = await alice.say('general', 'before restart', 'c_rs');
    await srv.restart();
    const again = await srv.user('alice', alice.token);
    const joined = await again.join('general');
    expect(joined.seq).toBe(1);
    expect(await again.say('general', 'before restart', 'c_rs')).toEqual(first);
    const reader = await srv.user('reader');
    expect((await reader.join('general')).seq).toBe(1);
  });

  it('lets another user use the same id for a message of their own', async () => {
    await using srv = await startTestServer();
    const alice = await srv.user('alice');
    const bob = await srv.user('bob');
    await alice.join('general');
    await bob.join('general');
    const a = await alice.say('general', 'from alice', 'c_shared');
    const b = await bob.say('general', 'from bob', 'c_shared');
    expect(a.seq).toBe(1);
    expect(b.seq).toBe(2);
    const fromBob = await alice.nextWhere((f) => f.type === 'message' && f.seq === 2, 2000, "bob's message");
    expect(fromBob).toMatchObject({ id: 'c_shared', text: 'from bob', from: bob.user });
  });
});

describe('text', () => {
  it.each([
    ['emoji and ZWJ sequences', '👩‍👩‍👧 ✨ 🇫🇷 e\u0301'],
    ['newlines and tabs', 'line 1\nline 2\r\n\tindented'],
    ['HTML-looking text', '<script>alert("x")</script> &amp; <b>bold</b>'],
    ['surrounding whitespace', '   spaced out   '],
    ['JSON-looking text', '{"type":"send"}'],
    ['a zero-width space (not White_Space)', '\u200b'],
    ['a BOM (JS \\s, but not White_Space)', '\ufeff'],
    ['a NUL and other controls', 'a\u0000b\u0007c'],
  ])('stores and sends %s exactly as received', async (_what, text) => {
    await using srv = await startTestServer();
    const alice = await srv.user('alice');
    const bob = await srv.user('bob');
    await alice.join('general');
    await bob.join('general');
    await alice.say('general', text);
    expect((await bob.next('message')).text).toBe(text);
    const reader = await srv.user('reader');
    expect((await reader.join('general')).messages[0]!.text).toBe(text);
  });

  it('accepts exactly MAX_TEXT_CHARS (4000) code points, astral ones included', async () => {
    await using srv = await startTestServer();
    const alice = await srv.user('alice');
    await alice.join('general');
    const astral = '😀'.repeat(LIMITS.MAX_TEXT_CHARS);
    expect(astral.length).toBe(8000);
    await alice.say('general', astral);
    expect((await alice.next('message')).text).toBe(astral);
    await alice.say('general', 'a'.repeat(4000));
  });

  it.each([
    ['ASCII', 'a'.repeat(4001)],
    ['astral emoji', '😀'.repeat(4001)],
  ])('answers 4001 code points of %s with text_too_long, echoing id and room', async (_what, text) => {
    await using srv = await startTestServer();
    const alice = await srv.user('alice');
    await alice.join('general');
    alice.send({ type: 'send', room: 'general', id: 'c_long', text });
    expect(await alice.nextError(ERROR_CODES.TEXT_TOO_LONG)).toMatchObject({ id: 'c_long', room: 'general' });
    await alice.expectNoFrame('message', 100);
  });

  it.each([
    ['empty', ''],
    ['spaces', '    '],
    ['newlines and tabs', '\n\t\r\n'],
    ['an ideographic space (U+3000)', '\u3000'],
    ['no-break spaces', '\u00a0\u202f'],
    ['em and thin spaces', '\u2003\u2009'],
    ['NEL (U+0085, White_Space but not JS \\s)', '\u0085'],
    ['line and paragraph separators', '\u2028\u2029'],
  ])('answers a text of only %s with empty_text, echoing id and room', async (_what, text) => {
    await using srv = await startTestServer();
    const alice = await srv.user('alice');
    await alice.join('general');
    alice.send({ type: 'send', room: 'general', id: 'c_empty', text });
    expect(await alice.nextError(ERROR_CODES.EMPTY_TEXT)).toMatchObject({ id: 'c_empty', room: 'general' });
    await alice.expectNoFrame('message', 100);
  });

  it('does not store a refused text, so the id stays free', async () => {
    await using srv = await startTestServer();
    const alice = await srv.user('alice');
    await alice.join('general');
    alice.send({ type: 'send', room: 'general', id: 'c_retry', text: ' ' });
    await alice.nextError(ERROR_CODES.EMPTY_TEXT);
    const ack = await alice.say('general', 'now with text', 'c_retry');
    expect(ack.seq).toBe(1);
    expect((await alice.next('message')).text).toBe('now with text');
  });
});
