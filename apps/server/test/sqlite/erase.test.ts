/**
 * docs/protocol.md › Changing messages › Erasure, on SQLite: once a delete is
 * acked, no byte of the message's text (nor of its earlier versions, nor its
 * reactions) is left in the database file or its WAL.
 */
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

import { describe, expect, it, onTestFinished } from 'vitest';

import type { NewChange } from '../../src/chat/ports.js';
import { SqliteStore } from '../../src/sqlite/store.js';
import { makeTempDir } from '../helpers/server.js';

const alice = { id: 'u_a', name: 'alice' };

/** Which of `markers` occur in the database file or its WAL. */
async function found(file: string, markers: readonly string[]): Promise<string[]> {
  const files = [file, `${file}-wal`].filter((f) => existsSync(f));
  const bytes = Buffer.concat(await Promise.all(files.map((f) => readFile(f))));
  return markers.filter((m) => bytes.includes(Buffer.from(m, 'utf8')));
}

describe('SqliteStore erasure', () => {
  it('leaves no trace of a deleted message: text, earlier versions and reactions, in the file and the WAL', async () => {
    const dir = await makeTempDir();
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'chat.db');
    const store = new SqliteStore(file);
    onTestFinished(() => store.close());
    const original = 'ORIGINAL-marker-7f3a9c-'.repeat(20);
    const edited = 'EDITED-marker-41be20-'.repeat(20);
    const emoji = 'QXREACTZ';
    const kept = 'KEPT-marker-0d9e11';
    await store.append({ room: 'general', id: 'c_1', from: alice, text: original, ts: 1 });
    await store.append({ room: 'general', id: 'c_2', from: alice, text: kept, ts: 2 });
    const change = (id: string, op: NewChange['op']): NewChange => ({
      room: 'general',
      id,
      from: alice,
      target: 1,
      op,
      ts: 3,
    });
    await store.change(change('c_3', { kind: 'edit', text: edited }));
    await store.change(change('c_4', { kind: 'react', emoji, on: true }));
    // Before the delete the text is on disk (in the WAL or the file): the search works.
    expect(await found(file, [original, edited, emoji, kept])).toEqual([original, edited, emoji, kept]);

    expect(await store.change(change('c_5', { kind: 'delete' }))).toMatchObject({ kind: 'changed' });
    // Acked: the writer's checkpoint after the delete has run.
    expect(await found(file, [original, edited, emoji])).toEqual([]);
    expect(await found(file, [kept])).toEqual([kept]);
    expect((await store.latest('general', 10)).messages.map((m) => m.text)).toEqual(['', kept]);

    await store.close();
    expect(await found(file, [original, edited, emoji, 'ORIGINAL-marker', 'EDITED-marker'])).toEqual([]);
  });
});
