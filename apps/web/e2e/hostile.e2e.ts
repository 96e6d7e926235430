/**
 * What someone else writes cannot stall or fool the page: a URL followed by
 * thousands of ")" renders without a long task (linkify is linear), a
 * look-alike host shows as punycode, a right-to-left name stays in its box;
 * a rename shows in everyone's members panel. Screenshots at desktop size
 * and 360 px wide, for a person to look at.
 */
import { describe, expect, test } from 'vitest';

import { DELIVERY_MS, expectConnected, UI_MS } from './support/expect';
import { setupE2E } from './support/fixture';
import type { Person } from './support/person';
import { openWriter } from './support/writer';

const e2e = setupE2E();

/** 20 + 3,976 characters: the longest text is 4,000. */
const PARENS = `https://ex.com/${')'.repeat(3976)}`.slice(0, 4000);
const PHONE = { width: 360, height: 740 };

interface LongTaskWindow {
  tetherLongTasks?: number[];
}

/** Starts recording the page's long tasks (over 50 ms, as the browser defines them). */
async function watchLongTasks(person: Person): Promise<void> {
  await person.page.evaluate(() => {
    const tasks: number[] = [];
    (window as LongTaskWindow).tetherLongTasks = tasks;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) tasks.push(entry.duration);
    }).observe({ type: 'longtask' });
  });
}

function longTasks(person: Person): Promise<number[]> {
  return person.page.evaluate(() => [...((window as LongTaskWindow).tetherLongTasks ?? [])]);
}

describe('hostile text', () => {
  test('a URL and 3,976 ")" renders without freezing the page, alone or a hundred in a row', async () => {
    const alice = await e2e.person('alice');
    await expectConnected(alice);
    // The page settled first: the chunks a chat screen fetches (Markdown,
    // message tools) are compiled then, not while the text under test renders.
    await alice.page.waitForLoadState('networkidle');
    await new Promise((resolve) => setTimeout(resolve, 500));
    await watchLongTasks(alice);
    const bob = await openWriter(await e2e.browser(), e2e.server.url, 'bob', ['general']);

    await bob.say('general', [PARENS]);
    await alice.log.getByRole('link', { name: 'https://ex.com/' }).waitFor({ timeout: DELIVERY_MS });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const one = await longTasks(alice);

    // A hundred more, as fast as the send budget lets bob (10 a second after a burst of 20).
    const hundred = Array.from({ length: 100 }, (_, i) => `${i} ${PARENS}`.slice(0, 4000));
    await bob.say('general', hundred);
    await alice.log.getByText(/^99 https/).waitFor({ timeout: DELIVERY_MS });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const all = await longTasks(alice);
    console.info(
      `long tasks: ${one.length} while one ")" message rendered, ${all.length} in all with 100 more; ` +
        `longest ${Math.max(0, ...all).toFixed(0)} ms`,
    );
    // One row: no task near what the quadratic linkify cost (95 ms in the
    // attack's browser for one such message, 65 ms in Node; now 0.15 ms, and
    // markdown-it parses it in under 3 ms). Chromium's own layout of this
    // 4,000-character row has shown a single 52–64 ms task in 2 of 6 runs on a
    // 2-core machine, none in the others.
    expect(Math.max(0, ...one)).toBeLessThan(80);
    // Not yet none: with a hundred such rows arriving, Chromium has shown one
    // task of ~80 ms. A CPU profile puts it in the browser's own rendering
    // ("(program)": style, layout, paint of the rows), not in the app's
    // JavaScript; linkify stays under a millisecond. Bounded here so that it
    // does not grow, and reported.
    expect(Math.max(0, ...all)).toBeLessThan(150);
    await bob.close();
  });

  test('looks: a look-alike link, a right-to-left name, ")" and a rename, on a desktop and a phone', async () => {
    const alice = await e2e.person('alice');
    const carol = await e2e.person('carol', { viewport: PHONE });
    await expectConnected(alice);
    await expectConnected(carol);
    // A right-to-left name (bidi controls themselves are refused by the server).
    const maryam = await openWriter(await e2e.browser(), e2e.server.url, 'مريم ابراهيم', ['general']);
    await maryam.say('general', [
      `look: ${PARENS}`.slice(0, 4000),
      'log in at https://аpple.com/account now (that а is Cyrillic)',
      'שלום, this line starts right to left and ends in English',
    ]);
    for (const person of [alice, carol])
      await person.log.getByText(/^שלום/).waitFor({ timeout: DELIVERY_MS });
    const link = alice.log.getByRole('link', { name: /xn--pple/ });
    expect(await link.textContent()).toBe('https://xn--pple-43d.com/account');
    await alice.screenshot('looks-1-desktop-hostile');
    await carol.screenshot('looks-2-phone-hostile');

    // alice renames herself in the user panel; carol's members panel follows.
    await alice.page.getByRole('button', { name: 'Change name' }).click();
    await alice.page.getByRole('textbox', { name: 'New name' }).fill('alice-cooper');
    await alice.screenshot('looks-3-desktop-rename-form');
    await alice.page.getByRole('button', { name: 'Save' }).click();
    await alice.members.getByText('alice-cooper', { exact: true }).waitFor({ timeout: UI_MS });
    await alice.screenshot('looks-4-desktop-renamed');
    await carol.page.getByRole('button', { name: 'Show members' }).click();
    await carol.members.getByText('alice-cooper', { exact: true }).waitFor({ timeout: DELIVERY_MS });
    expect(await carol.members.getByText('alice', { exact: true }).count()).toBe(0);
    await carol.screenshot('looks-5-phone-members-after-rename');
    await carol.page.keyboard.press('Escape');

    // A room named constructor, on the phone.
    await carol.page.getByRole('button', { name: 'Show rooms' }).click();
    await carol.joinRoom('constructor');
    await expect.poll(() => carol.heading.textContent(), { timeout: DELIVERY_MS }).toBe('constructor');
    await carol.say('a room named like a property of every object');
    await carol.message('a room named like a property of every object').waitFor({ timeout: UI_MS });
    await carol.screenshot('looks-6-phone-constructor');
    await carol.page.getByRole('button', { name: 'Show rooms' }).click();
    await carol.screenshot('looks-7-phone-rooms-drawer');
    await maryam.close();
  });
});
