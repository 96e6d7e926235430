/**
 * docs/protocol.md › joined, History, Order of requests and answers: every
 * answer is bounded in bytes, whatever the data, and a client that does not
 * read is made to wait, not cut off. A returning member always gets back in.
 */
import { LIMITS, type Message, type ServerMessageOf } from '@tether/protocol';
import { describe, expect, it } from 'vitest';

import type { TestClient } from '../helpers/client.js';
import { startTestServer } from '../helpers/server.js';

// Filling rooms needs hundreds of sends; the rate limit has its own tests.
const FAST = { RATE_LIMIT_PER_SEC: '100000', RATE_LIMIT_BURST: '100000' };

/** A page's items as the server counts them: JSON bytes. */
const bytesOf = (items: readonly unknown[]): number =>
  items.reduce<number>((sum, item) => sum + Buffer.byteLength(JSON.stringify(item)), 0);

const seqs = (messages: readonly Message[]) => messages.map((m) => m.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Sends `count` messages of `text` to `room` and waits for every ack. */
async function fillWith(client: TestClient, room: string, count: number, text: string): Promise<void> {
  // In rounds of 40: the author gets each message back too, and 190 echoes
  // of 24 KB at once would pass the 4 MiB slow-consumer bound of its own
  // connection whenever this process is slow to read them.
  for (let from = 0; from < count; from += 40) {
    const ids = Array.from({ length: Math.min(40, count - from) }, (_, i) => `${room}_${from + i}`);
    for (const id of ids) client.send({ type: 'send', room, id, text });
    const wanted = new Set(ids);
    for (const _ of ids) {
      const answer = await client.nextWhere(
        (f) => (f.type === 'ack' || f.type === 'error') && wanted.has(f.id ?? ''),
      );
      if (answer.type !== 'ack') throw new Error(`a send was answered ${JSON.stringify(answer)}`);
    }
    await client.collect(ids.length, (f) => f.type === 'message', 10_000, 'message');
  }
  client.discard('message');
}

/** Pages back with `history` from the oldest message held until `since` is reached. */
async function pageBack(
  client: TestClient,
  room: string,
  held: Message[],
  since: number,
): Promise<Message[]> {
  const all = [...held];
  for (let page = 0; all.length > 0 && (all[0]?.seq ?? 0) > since + 1 && page < 100; page++) {
    client.send({ type: 'history', room, before: all[0]?.seq, limit: LIMITS.HISTORY_MAX_LIMIT });
    const history = await client.next('history');
    expect(bytesOf(history.messages)).toBeLessThanOrEqual(LIMITS.MAX_PAGE_BYTES);
    all.unshift(...history.messages.filter((m) => m.seq > since));
    if (!history.hasMore) break;
  }
  return all;
}

describe('a resume bounded in bytes', () => {
  it.each([
    ['190 messages of 4,000 escaped control characters', 190, '\u0001'.repeat(LIMITS.MAX_TEXT_CHARS)],
    ['400 messages of 4,000 Chinese characters', 400, '中'.repeat(LIMITS.MAX_TEXT_CHARS)],
  ])(
    'lets a member back in after %s, the newest first, and the rest by history, nothing lost',
    async (_, count, text) => {
      await using srv = await startTestServer(FAST);
      const author = await srv.user('author');
      await author.join('general');
      const reader = await srv.user('reader');
      const before = await reader.join('general');
      await reader.close();
      await fillWith(author, 'general', count, text);

      // Together these messages are over 4 MiB as JSON, the slow-consumer limit.
      const back = await srv.user('reader', reader.token);
      const joined = await back.join('general', { since: before.seq, epoch: before.epoch });
      expect(back.isOpen()).toBe(true);
      expect(bytesOf(joined.messages)).toBeLessThanOrEqual(LIMITS.MAX_PAGE_BYTES);
      expect(joined.messages.length).toBeGreaterThan(0);
      expect(joined.messages.at(-1)?.seq).toBe(count);
      expect(joined.hasMore).toBe(true);

      const all = await pageBack(back, 'general', joined.messages, before.seq);
      expect(seqs(all)).toEqual(range(1, count));
      expect(all.every((m) => m.text === text)).toBe(true);
      expect(back.isOpen()).toBe(true);
    },
  );

  it('bounds a first join and a history page in bytes too, with hasMore', async () => {
    await using srv = await startTestServer(FAST);
    const author = await srv.user('author');
    await author.join('general');
    await fillWith(author, 'general', 60, '中'.repeat(LIMITS.MAX_TEXT_CHARS));
    const reader = await srv.user('reader');
    const joined = await reader.join('general');
    expect(bytesOf(joined.messages)).toBeLessThanOrEqual(LIMITS.MAX_PAGE_BYTES);
    expect(joined.messages.length).toBeLessThan(LIMITS.JOIN_HISTORY);
    expect(joined.messages.at(-1)?.seq).toBe(60);
    expect(joined.hasMore).toBe(true);
    reader.send({ type: 'history', room: 'general', limit: 100 });
    const page = await reader.next('history');
    expect(bytesOf(page.messages)).toBeLessThanOrEqual(LIMITS.MAX_PAGE_BYTES);
    expect(page.messages.at(-1)?.seq).toBe(60);
    expect(page.hasMore).toBe(true);
  });

  it('still sends one message that is bigger than a page would hold alone', async () => {
    await using srv = await startTestServer(FAST);
    const author = await srv.user('author');
    await author.join('general');
    await fillWith(author, 'general', 1, '\u0001'.repeat(LIMITS.MAX_TEXT_CHARS));
    const reader = await srv.user('reader');
    const joined = await reader.join('general');
    expect(seqs(joined.messages)).toEqual([1]);
    expect(joined.hasMore).toBe(false);
  });
});

describe('a client that does not read', () => {
  it('is made to wait for its answers, not cut off: 20 resumes of half a megabyte each while it reads nothing', async () => {
    await using srv = await startTestServer(FAST);
    const author = await srv.user('author');
    const rooms = Array.from({ length: LIMITS.MAX_ROOMS_PER_CONNECTION }, (_, i) => `room${i}`);
    const text = '中'.repeat(LIMITS.MAX_TEXT_CHARS);
    for (const room of rooms) {
      await author.join(room);
      await fillWith(author, room, 50, text);
    }
    const reader = await srv.user('reader');
    // Stops reading: 20 answers of up to 512 KiB are about 10 MB, more than
    // twice the slow-consumer limit.
    reader.socket().pause();
    for (const room of rooms) reader.send({ type: 'join', room });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    reader.socket().resume();
    const answers: ServerMessageOf<'joined'>[] = [];
    for (const room of rooms) {
      answers.push(
        await reader.nextWhere<ServerMessageOf<'joined'>>(
          (f) => f.type === 'joined' && f.room === room,
          20_000,
        ),
      );
    }
    expect(reader.isOpen()).toBe(true);
    for (const joined of answers) {
      expect(joined.messages.at(-1)?.seq).toBe(50);
      expect(bytesOf(joined.messages)).toBeLessThanOrEqual(LIMITS.MAX_PAGE_BYTES);
    }
    await reader.roundTrip();
  });
});
