/**
 * docs/protocol.md › Changing messages: edit, delete, react and reply, each
 * a room event in the same gap-free stream as messages, acked after the
 * commit, idempotent by (user, id), read back in current state.
 */
import { ERROR_CODES, LIMITS, type ServerMessageOf } from '@tether/protocol';
import { describe, expect, it } from 'vitest';

import { newId, type TestClient } from '../helpers/client.js';
import { startTestServer } from '../helpers/server.js';

type Answer = ServerMessageOf<'ack'> | ServerMessageOf<'error'>;

/** Sends a request and waits for its ack or error (matched by id). */
async function ask(client: TestClient, frame: Record<string, unknown>): Promise<Answer> {
  const id = typeof frame.id === 'string' ? frame.id : newId();
  client.send({ ...frame, id });
  return client.nextWhere<Answer>((f) => (f.type === 'ack' || f.type === 'error') && f.id === id);
}

async function acked(client: TestClient, frame: Record<string, unknown>): Promise<ServerMessageOf<'ack'>> {
  const answer = await ask(client, frame);
  if (answer.type !== 'ack') throw new Error(`${JSON.stringify(frame)} answered ${JSON.stringify(answer)}`);
  return answer;
}

const edit = (target: number, text: string, id?: string) => ({
  type: 'edit',
  room: 'general',
  target,
  text,
  id,
});
const del = (target: number, id?: string) => ({ type: 'delete', room: 'general', target, id });
const react = (target: number, emoji: string, on = true, id?: string) => ({
  type: 'react',
  room: 'general',
  target,
  emoji,
  on,
  id,
});

/** Two members of `general`: alice (who writes) and bob. */
async function chat(env: Record<string, string> = {}) {
  const srv = await startTestServer(env);
  const alice = await srv.user('alice');
  const bob = await srv.user('bob');
  await alice.join('general');
  await bob.join('general');
  return { srv, alice, bob };
}

describe('changes', () => {
  it('says so in welcome.features', async () => {
    await using srv = await startTestServer();
    const alice = await srv.connect();
    const welcome = await alice.hello('alice');
    expect(welcome.features).toContain('changes');
  });

  it('edits: ack first on the sender connection, then update to every connection, the message in its new state', async () => {
    const { srv, alice, bob } = await chat();
    await using _ = srv;
    const sent = await alice.say('general', 'hi');
    alice.discard('message');
    alice.discard('presence');
    const ack = await acked(alice, edit(sent.seq, 'hi there'));
    expect(ack.seq).toBe(sent.seq + 1);
    const expected = {
      type: 'update',
      room: 'general',
      seq: ack.seq,
      message: {
        room: 'general',
        seq: sent.seq,
        ts: sent.ts,
        id: sent.id,
        from: alice.user,
        text: 'hi there',
        rev: ack.seq,
        edited: ack.ts,
      },
    };
    // Nothing between the ack and its update on the sender's connection.
    expect(await alice.next()).toEqual(expected);
    expect(await bob.next('message')).toMatchObject({ seq: sent.seq, text: 'hi' });
    expect(await bob.next('update')).toEqual(expected);
  });

  it('delivers messages and updates in one seq order', async () => {
    const { srv, alice, bob } = await chat();
    await using _ = srv;
    const first = await alice.say('general', 'one');
    for (const frame of [edit(first.seq, 'uno'), react(first.seq, '👍')])
      alice.send({ ...frame, id: newId() });
    alice.send({ type: 'send', room: 'general', id: newId(), text: 'two' });
    alice.send({ ...del(first.seq), id: newId() });
    const seqs: string[] = [];
    for (let i = 0; i < 5; i++) {
      const f = await bob.next(['message', 'update']);
      seqs.push(f.type === 'message' ? `m${f.seq}` : `u${f.seq}`);
    }
    expect(seqs).toEqual(['m1', 'u2', 'u3', 'm4', 'u5']);
  });

  it('refuses with not_found: no such seq, the seq of a change, a tombstone for edit and react', async () => {
    const { srv, alice } = await chat();
    await using _ = srv;
    const sent = await alice.say('general', 'hi');
    const change = await acked(alice, edit(sent.seq, 'changed'));
    expect(await ask(alice, edit(999, 'x'))).toMatchObject({
      type: 'error',
      code: ERROR_CODES.NOT_FOUND,
      room: 'general',
    });
    expect(await ask(alice, react(change.seq, '👍'))).toMatchObject({ code: ERROR_CODES.NOT_FOUND });
    await acked(alice, del(sent.seq));
    expect(await ask(alice, edit(sent.seq, 'back'))).toMatchObject({
      code: ERROR_CODES.NOT_FOUND,
      request: 'edit',
    });
    expect(await ask(alice, react(sent.seq, '👍'))).toMatchObject({ code: ERROR_CODES.NOT_FOUND });
    expect(await ask(alice, react(sent.seq, '👍', false))).toMatchObject({ code: ERROR_CODES.NOT_FOUND });
  });

  it('lets only the author edit or delete (forbidden), and any member react', async () => {
    const { srv, alice, bob } = await chat();
    await using _ = srv;
    const sent = await alice.say('general', 'mine');
    expect(await ask(bob, edit(sent.seq, 'yours'))).toMatchObject({
      code: ERROR_CODES.FORBIDDEN,
      request: 'edit',
    });
    expect(await ask(bob, del(sent.seq))).toMatchObject({ code: ERROR_CODES.FORBIDDEN, request: 'delete' });
    await acked(bob, react(sent.seq, '🎉'));
    // A stranger is refused a tombstone too.
    await acked(alice, del(sent.seq));
    expect(await ask(bob, del(sent.seq))).toMatchObject({ code: ERROR_CODES.FORBIDDEN });
  });

  it('checks the room, the text and the emoji first, echoing id and room', async () => {
    const { srv, alice } = await chat();
    await using _ = srv;
    const sent = await alice.say('general', 'hi');
    expect(await ask(alice, { ...edit(sent.seq, 'x'), room: 'elsewhere', id: 'c_a' })).toMatchObject({
      code: ERROR_CODES.NOT_IN_ROOM,
      id: 'c_a',
      room: 'elsewhere',
    });
    expect(await ask(alice, { ...del(sent.seq), room: 'Bad Room', id: 'c_b' })).toMatchObject({
      code: ERROR_CODES.INVALID_ROOM,
      id: 'c_b',
    });
    expect(await ask(alice, edit(sent.seq, '   '))).toMatchObject({ code: ERROR_CODES.EMPTY_TEXT });
    expect(await ask(alice, edit(sent.seq, 'x'.repeat(LIMITS.MAX_TEXT_CHARS + 1)))).toMatchObject({
      code: ERROR_CODES.TEXT_TOO_LONG,
    });
    for (const emoji of ['', '👍 ', 'a\u0000', 'x'.repeat(17)]) {
      expect(await ask(alice, react(sent.seq, emoji))).toMatchObject({ code: ERROR_CODES.INVALID_REACTION });
    }
    alice.send({ type: 'edit', room: 'general', id: 'c_c', target: 0, text: 'x' });
    expect(await alice.nextError(ERROR_CODES.BAD_REQUEST)).toMatchObject({ id: 'c_c' });
  });

  it('answers a request that changes nothing with the current rev, and makes no event', async () => {
    const { srv, alice, bob } = await chat();
    await using _ = srv;
    const sent = await alice.say('general', 'same');
    expect((await acked(alice, edit(sent.seq, 'same'))).seq).toBe(sent.seq);
    const on = await acked(bob, react(sent.seq, '👍'));
    expect((await acked(bob, react(sent.seq, '👍'))).seq).toBe(on.seq);
    expect((await acked(bob, react(sent.seq, '🎉', false))).seq).toBe(on.seq);
    const gone = await acked(alice, del(sent.seq));
    expect((await acked(alice, del(sent.seq))).seq).toBe(gone.seq);
    const reader = await srv.user('reader');
    expect((await reader.join('general')).seq).toBe(gone.seq);
    bob.discard('message');
    expect(
      (await bob.collect(2, (f): f is ServerMessageOf<'update'> => f.type === 'update')).map((u) => u.seq),
    ).toEqual([on.seq, gone.seq]);
    await bob.expectNoFrame('update', 200);
  });

  it('answers a resend of each request with its first ack and changes nothing twice, in one id space with send', async () => {
    const { srv, alice } = await chat();
    await using _ = srv;
    const sent = await alice.say('general', 'hi', 'c_send');
    const requests = [
      edit(sent.seq, 'edited', 'c_edit'),
      react(sent.seq, '👍', true, 'c_react'),
      del(sent.seq, 'c_del'),
    ];
    const first: ServerMessageOf<'ack'>[] = [];
    for (const r of requests) first.push(await acked(alice, r));
    for (const [i, r] of requests.entries()) expect(await acked(alice, r)).toEqual(first[i]);
    // An id answered as a send answers a change, and the other way round.
    expect(await acked(alice, edit(sent.seq, 'other', 'c_send'))).toEqual(
      expect.objectContaining({ id: 'c_send', seq: sent.seq }),
    );
    expect(await alice.say('general', 'a send', 'c_edit')).toEqual(first[0]);
    // Even in another room the connection is not in: the ack is looked up first.
    expect(await acked(alice, { ...react(sent.seq, '👍', true, 'c_react'), room: 'nowhere' })).toEqual(
      first[1],
    );
    await srv.restart();
    const again = await srv.user('alice', alice.token);
    await again.join('general');
    for (const [i, r] of requests.entries()) expect(await acked(again, r)).toEqual(first[i]);
    const reader = await srv.user('reader');
    const joined = await reader.join('general');
    expect(joined.seq).toBe(first[2]!.seq);
    expect(joined.messages).toEqual([
      expect.objectContaining({ seq: sent.seq, deleted: true, text: '', rev: first[2]!.seq }),
    ]);
  });

  it('resumes with since: new messages and older ones changed since, in current state', async () => {
    const { srv, alice, bob } = await chat();
    await using _ = srv;
    const acks = await alice.fill('general', 5);
    const joined = await bob.join('general');
    await bob.close();
    await acked(alice, edit(acks[0]!.seq, 'first, edited'));
    await acked(alice, react(acks[1]!.seq, '👍'));
    const newer = await alice.say('general', 'new');
    await acked(alice, del(acks[2]!.seq));
    const back = await srv.user('bob', bob.token);
    const resumed = await back.join('general', { since: joined.seq, epoch: joined.epoch });
    expect(resumed.messages.map((m) => [m.seq, m.rev])).toEqual([
      [1, 6],
      [2, 7],
      [3, 9],
      [8, 8],
    ]);
    expect(resumed.messages[0]).toMatchObject({
      text: 'first, edited',
      edited: expect.any(Number) as unknown,
    });
    expect(resumed.messages[1]?.reactions).toEqual([{ emoji: '👍', count: 1, users: [alice.user!.id] }]);
    expect(resumed.messages[2]).toMatchObject({ deleted: true, text: '' });
    expect(resumed.messages[2]).not.toHaveProperty('reactions');
    expect(resumed.seq).toBe(9);
    expect(resumed.hasMore).toBe(false);
    expect(newer.seq).toBe(8);
    // Up to date: nothing more.
    const again = await back.join('general', { since: resumed.seq, epoch: resumed.epoch });
    expect(again.messages).toEqual([]);
  });

  it('counts changed older messages in RESUME_LIMIT, keeping the highest seqs, hasMore for the rest', async () => {
    const { srv, alice, bob } = await chat({ RATE_LIMIT_PER_SEC: '100000', RATE_LIMIT_BURST: '100000' });
    await using _ = srv;
    await alice.fill('general', 3);
    const joined = await bob.join('general');
    await acked(alice, edit(1, 'changed'));
    const acks = await alice.fill('general', LIMITS.RESUME_LIMIT);
    const resumed = await bob.join('general', { since: joined.seq, epoch: joined.epoch });
    expect(resumed.messages).toHaveLength(LIMITS.RESUME_LIMIT);
    expect(resumed.hasMore).toBe(true);
    expect(resumed.messages[0]?.seq).toBe(acks[0]!.seq);
    // Paging back with history gives the changed one in its current state.
    bob.send({ type: 'history', room: 'general', before: acks[0]!.seq, limit: 100 });
    const page = await bob.next('history');
    expect(page.messages.find((m) => m.seq === 1)).toMatchObject({ text: 'changed', rev: 4 });
  });

  it('keeps tombstones in history, text erased, no reactions, no edit time', async () => {
    const { srv, alice, bob } = await chat();
    await using _ = srv;
    const sent = await alice.say('general', 'secret');
    await acked(alice, edit(sent.seq, 'more secret'));
    await acked(bob, react(sent.seq, '👀'));
    const gone = await acked(alice, del(sent.seq));
    await alice.say('general', 'after');
    bob.send({ type: 'history', room: 'general' });
    const page = await bob.next('history');
    expect(page.messages[0]).toEqual({
      room: 'general',
      seq: sent.seq,
      ts: sent.ts,
      id: sent.id,
      from: alice.user,
      text: '',
      rev: gone.seq,
      deleted: true,
    });
    expect(page.messages.map((m) => m.seq)).toEqual([1, 5]);
  });

  it('lists reactions by emoji in the order first used, exact counts, users earliest first', async () => {
    const { srv, alice, bob } = await chat();
    await using _ = srv;
    const carol = await srv.user('carol');
    await carol.join('general');
    const sent = await alice.say('general', 'react to me');
    await acked(bob, react(sent.seq, '👍'));
    await acked(carol, react(sent.seq, '🎉'));
    await acked(alice, react(sent.seq, '👍'));
    await acked(carol, react(sent.seq, '👍'));
    const last = await acked(bob, react(sent.seq, '🎉', false));
    carol.send({ type: 'history', room: 'general' });
    const [message] = (await carol.next('history')).messages;
    expect(message?.rev).toBe(last.seq);
    expect(message?.reactions).toEqual([
      { emoji: '👍', count: 3, users: [bob.user!.id, alice.user!.id, carol.user!.id] },
      { emoji: '🎉', count: 1, users: [carol.user!.id] },
    ]);
  });

  it('holds at most 20 different emoji (too_many_reactions), and 50 users per emoji with an exact count', async () => {
    const { srv, alice } = await chat({ RATE_LIMIT_PER_SEC: '100000', RATE_LIMIT_BURST: '100000' });
    await using _ = srv;
    const sent = await alice.say('general', 'popular');
    for (let i = 0; i < LIMITS.MAX_REACTION_EMOJI; i++) await acked(alice, react(sent.seq, `e${i}`));
    expect(await ask(alice, react(sent.seq, 'more'))).toMatchObject({
      code: ERROR_CODES.TOO_MANY_REACTIONS,
    });
    const users: TestClient[] = [];
    for (let i = 0; i < LIMITS.MAX_REACTION_USERS + 1; i++) {
      const user = await srv.user(`fan${i}`);
      await user.join('general');
      users.push(user);
      // An emoji already there takes any number of users.
      await acked(user, react(sent.seq, 'e0'));
    }
    const reader = users.at(-1)!;
    reader.send({ type: 'history', room: 'general' });
    const [message] = (await reader.next('history')).messages;
    const e0 = message?.reactions?.[0];
    expect(e0?.count).toBe(LIMITS.MAX_REACTION_USERS + 2);
    expect(e0?.users).toEqual([
      alice.user!.id,
      ...users.slice(0, LIMITS.MAX_REACTION_USERS - 1).map((u) => u.user!.id),
    ]);
    expect(message?.reactions).toHaveLength(LIMITS.MAX_REACTION_EMOJI);
  });

  it('sends a reply with the first 100 code points of its message, "" once that is deleted; not_found otherwise', async () => {
    const { srv, alice, bob } = await chat();
    await using _ = srv;
    const long = '😀'.repeat(150);
    const original = await alice.say('general', long);
    bob.send({ type: 'send', room: 'general', id: 'c_reply', text: 'yes', replyTo: original.seq });
    const ack = await bob.nextWhere((f) => f.type === 'ack' && f.id === 'c_reply');
    expect(ack).toMatchObject({ type: 'ack' });
    const frame = await alice.nextWhere<ServerMessageOf<'message'>>(
      (f) => f.type === 'message' && f.id === 'c_reply',
    );
    expect(frame.replyTo).toEqual({ seq: original.seq, from: alice.user, text: '😀'.repeat(100) });
    await acked(alice, del(original.seq));
    bob.send({ type: 'history', room: 'general' });
    const page = await bob.next('history');
    expect(page.messages.find((m) => m.id === 'c_reply')?.replyTo).toEqual({
      seq: original.seq,
      from: alice.user,
      text: '',
    });
    // A reply may name a tombstone; not a seq of no message, nor one of another room.
    expect(
      (await ask(bob, { type: 'send', room: 'general', text: 'late', replyTo: original.seq })).type,
    ).toBe('ack');
    await bob.join('random');
    const answer = await ask(bob, { type: 'send', room: 'random', text: 'x', replyTo: original.seq + 100 });
    expect(answer).toMatchObject({ code: ERROR_CODES.NOT_FOUND, request: 'send' });
  });

  it('counts changes toward the per-user send rate', async () => {
    const { srv, alice } = await chat({ RATE_LIMIT_PER_SEC: '1', RATE_LIMIT_BURST: '3' });
    await using _ = srv;
    const sent = await alice.say('general', 'hi');
    await acked(alice, edit(sent.seq, 'hello'));
    const reacted = await acked(alice, react(sent.seq, '👍', true, 'c_r1'));
    const refused = await ask(alice, del(sent.seq));
    expect(refused).toMatchObject({ code: ERROR_CODES.RATE_LIMITED, request: 'delete' });
    expect((refused as ServerMessageOf<'error'>).retryAfterMs).toBeGreaterThan(0);
    // A resend of an acked change is answered even with an empty bucket.
    expect(await ask(alice, react(sent.seq, '👍', true, 'c_r1'))).toEqual(reacted);
  });
});
