/**
 * A reload keeps what the page showed: each room opens where it was being
 * read, and rooms and people named like the properties of every plain
 * object (`constructor`, `__proto__`, …) neither crash the page nor vanish
 * from it.
 */
import { describe, expect, test } from 'vitest';

import { DELIVERY_MS, expectConnected, UI_MS } from './support/expect';
import { setupE2E } from './support/fixture';
import type { Person } from './support/person';
import { openWriter } from './support/writer';

// Two hundred messages from one writer, acked one by one: lift the send budget.
const e2e = setupE2E({ server: { RATE_LIMIT_PER_SEC: '1000', RATE_LIMIT_BURST: '1000' } });

/** The first message row wholly in the log's view: its text and how far below the view's top it is. */
function topRow(person: Person): Promise<{ text: string; offset: number } | null> {
  return person.log.evaluate((log) => {
    const top = log.getBoundingClientRect().top;
    let best: { text: string; offset: number } | null = null;
    for (const row of log.querySelectorAll('.row')) {
      const offset = row.getBoundingClientRect().top - top;
      const text = row.querySelector('.msg-text')?.textContent ?? '';
      if (offset >= -0.5 && (best === null || offset < best.offset)) best = { text, offset };
    }
    return best;
  });
}

function distanceFromBottom(person: Person): Promise<number> {
  return person.log.evaluate((log) => log.scrollHeight - log.scrollTop - log.clientHeight);
}

/** Resolves once `read` gives the same value on `frames` polls 50 ms apart. */
async function settled<T>(read: () => Promise<T>, frames = 4): Promise<T> {
  let last = JSON.stringify(await read());
  let same = 0;
  const start = Date.now();
  while (same < frames) {
    if (Date.now() - start > UI_MS) throw new Error(`not settled within ${UI_MS} ms: ${last}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = JSON.stringify(await read());
    same = now === last ? same + 1 : 0;
    last = now;
  }
  return JSON.parse(last) as T;
}

async function reload(person: Person): Promise<void> {
  await person.page.reload();
  await person.composer.waitFor({ state: 'visible' });
}

describe('a reload', () => {
  test('opens a room of 200 messages at the message that was at the top, or at the bottom', async () => {
    const alice = await e2e.person('alice');
    await expectConnected(alice);
    const bob = await openWriter(await e2e.browser(), e2e.server.url, 'bob', ['general']);
    const texts = Array.from({ length: 200 }, (_, i) =>
      i % 7 === 3 && i < 190 ? `message ${i + 1}\nwith a second line` : `message ${i + 1}`,
    );
    await bob.say('general', texts);
    await alice.message('message 200').waitFor({ timeout: DELIVERY_MS });

    // Up by wheel, as a person scrolls: about a third of the way.
    const box = await alice.log.boundingBox();
    if (!box) throw new Error('no log');
    await alice.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    for (let i = 0; i < 6; i++) await alice.page.mouse.wheel(0, -700);
    const before = await settled(() => topRow(alice));
    if (!before) throw new Error('no row in view');
    expect(before.text).not.toBe('message 200');
    await alice.screenshot('reload-1-scrolled-up');

    await reload(alice);
    const after = await settled(() => topRow(alice));
    const error = Math.abs((after?.offset ?? Infinity) - before.offset);
    console.info(
      `reading position: "${before.text.split('\n')[0] ?? ''}" at ${before.offset.toFixed(1)} px before the reload, ` +
        `"${after?.text.split('\n')[0] ?? ''}" at ${after?.offset.toFixed(1)} px after: error ${error.toFixed(1)} px`,
    );
    expect(after?.text).toBe(before.text);
    expect(error).toBeLessThanOrEqual(4);
    await alice.screenshot('reload-2-same-place');

    // To the bottom, then a reload: the bottom again.
    await alice.page.getByRole('button', { name: 'Jump to latest' }).click();
    await expect.poll(() => distanceFromBottom(alice), { timeout: UI_MS }).toBeLessThanOrEqual(2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await reload(alice);
    const bottom = await settled(() => distanceFromBottom(alice));
    console.info(`reading position: ${bottom.toFixed(1)} px from the bottom after a reload at the bottom`);
    expect(bottom).toBeLessThanOrEqual(2);
    await alice.message('message 200').waitFor({ timeout: UI_MS });
    await bob.close();
  });

  test('keeps rooms and people named constructor, __proto__, toString, hasOwnProperty', async () => {
    const alice = await e2e.person('alice');
    await expectConnected(alice);
    const KEYS = ['constructor', '__proto__', 'toString', 'hasOwnProperty'];

    // Room names are lower case and start with a letter or digit (docs/protocol.md):
    // `toString` is joined as `tostring`, and `__proto__` is refused by the form, calmly.
    const rooms = ['constructor', 'tostring', 'hasownproperty'];
    for (const typed of KEYS) {
      await alice.joinRoom(typed);
      const room = typed.toLowerCase();
      if (rooms.includes(room)) {
        await expect.poll(() => alice.heading.textContent(), { timeout: DELIVERY_MS }).toBe(room);
        await alice.say(`hello from #${room}`);
        await alice.message(`hello from #${room}`).waitFor({ timeout: UI_MS });
      } else {
        await alice.rooms.getByRole('alert').waitFor({ timeout: UI_MS });
        await alice.rooms.getByRole('textbox', { name: 'Room name' }).fill('');
      }
    }

    // People with those names, in #constructor.
    const writers = [];
    for (const name of KEYS) {
      const writer = await openWriter(await e2e.browser(), e2e.server.url, name, ['constructor']);
      await writer.say('constructor', [`${name} was here`]);
      writers.push(writer);
    }
    await alice.rooms.getByRole('button', { name: /^constructor/ }).click();
    for (const name of KEYS) {
      await alice.message(`${name} was here`).waitFor({ timeout: DELIVERY_MS });
      await alice.members.getByText(name, { exact: true }).waitFor({ timeout: DELIVERY_MS });
    }
    await alice.screenshot('reload-3-constructor');

    await reload(alice);
    await expect.poll(() => alice.heading.textContent(), { timeout: UI_MS }).toBe('constructor');
    await expectConnected(alice);
    for (const name of KEYS) await alice.message(`${name} was here`).waitFor({ timeout: UI_MS });
    for (const room of rooms) {
      await alice.rooms.getByRole('button', { name: new RegExp(`^${room}`) }).click();
      await expect.poll(() => alice.heading.textContent(), { timeout: UI_MS }).toBe(room);
      await alice.message(`hello from #${room}`).waitFor({ timeout: UI_MS });
    }
    for (const room of rooms) {
      await alice.rooms.getByRole('button', { name: `Leave #${room}` }).click();
      await alice.rooms.getByRole('button', { name: `Leave #${room}` }).waitFor({ state: 'detached' });
    }
    await reload(alice);
    for (const room of rooms)
      expect(await alice.rooms.getByRole('button', { name: new RegExp(`^${room}`) }).count()).toBe(0);
    await Promise.all(writers.map((w) => w.close()));
  });
});
