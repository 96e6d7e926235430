/**
 * A big room (docs/protocol.md, "Big rooms"): 520 bots (plain WebSocket
 * clients in a child process, support/bots.ts) are in #general when alice
 * comes in. Her members panel shows the count, pages through the members and
 * searches them on the server; the rooms directory has more than a page.
 */
import { describe, expect, test } from 'vitest';

import { startCrowd } from './support/bots';
import { expectConnected, UI_MS } from './support/expect';
import { setupE2E } from './support/fixture';
import type { Person } from './support/person';

// One address creates every bot and every topic room: lift those budgets.
const e2e = setupE2E({ server: { NEW_USERS_PER_HOUR: '100000', NEW_ROOMS_PER_HOUR: '100000' } });

const BOTS = 520;
const TOPICS = [
  'announcements',
  'architecture',
  'backend',
  'books',
  'coffee',
  'design',
  'devops',
  'docs',
  'engineering',
  'frontend',
  'gaming',
  'hiring',
  'incidents',
  'jobs',
  'kubernetes',
  'lunch',
  'marketing',
  'music',
  'ops',
  'pets',
  'photography',
  'product',
  'random',
  'releases',
  'sales',
  'security',
  'support',
  'travel',
  'ux-research',
  'watercooler',
];

function memberNames(person: Person): Promise<string[]> {
  return person.members.getByRole('listitem').allTextContents();
}

/** The page as it looks now, in the light and the dark theme. */
async function shoot(person: Person, name: string): Promise<void> {
  await person.page.emulateMedia({ colorScheme: 'light' });
  await person.screenshot(`${name}-light`);
  await person.page.emulateMedia({ colorScheme: 'dark' });
  await person.screenshot(`${name}-dark`);
  await person.page.emulateMedia({ colorScheme: 'light' });
}

describe('a big room', () => {
  test('shows the count, pages through 521 members and searches them', async () => {
    const crowd = await startCrowd(e2e.server.url, {
      rooms: ['general'],
      extraRooms: TOPICS,
      count: BOTS,
      prefix: 'bot',
    });
    try {
      const alice = await e2e.person('alice');
      await expectConnected(alice);
      const panel = alice.page.getByRole('region', { name: /^Members/ });
      await expect.poll(() => panel.getByRole('heading').textContent(), { timeout: UI_MS }).toMatch(/521/);
      // The first members come with `joined` (JOINED_MEMBERS_BIG_ROOM); Show
      // more continues from its membersNext.
      await expect
        .poll(() => panel.getByText('Showing 20 of 521 members').count(), { timeout: UI_MS })
        .toBe(1);
      expect(await memberNames(alice)).toHaveLength(20);
      // Name order across the room, not "you first": alice sorts first anyway.
      expect((await memberNames(alice)).slice(0, 2)).toEqual(['Aalice(you)', 'Bbot000']);

      await panel.getByRole('button', { name: 'Show more members' }).click();
      await expect.poll(() => memberNames(alice), { timeout: UI_MS }).toHaveLength(120);
      expect(await panel.getByText('Showing 120 of 521 members').count()).toBe(1);
      expect(new Set(await memberNames(alice)).size).toBe(120);
      await shoot(alice, 'big-room-1-members');

      await panel.getByRole('searchbox', { name: 'Search members' }).fill('BOT05');
      await expect
        .poll(() => memberNames(alice), { timeout: UI_MS })
        .toEqual(Array.from({ length: 10 }, (_, i) => `Bbot05${i}`));
      expect(await panel.getByText('Showing 10 of 521 members').count()).toBe(1);
      // The server's answer: ten in all, no page after it.
      await expect
        .poll(() => panel.getByRole('button', { name: 'Show more members' }).count(), { timeout: UI_MS })
        .toBe(0);
      await shoot(alice, 'big-room-2-search');
      // Cleared: the whole room's list again, from its start (a fresh first
      // page, or the pages held before the search).
      await panel.getByRole('searchbox', { name: 'Search members' }).fill('');
      await expect
        .poll(async () => (await memberNames(alice)).length, { timeout: UI_MS })
        .toBeGreaterThanOrEqual(100);
      expect((await memberNames(alice)).slice(0, 2)).toEqual(['Aalice(you)', 'Bbot000']);

      // The directory: a first page of 20 rooms (general, which alice is in, left out), then more.
      const directory = alice.rooms.getByRole('list', { name: 'More rooms' });
      await expect.poll(() => directory.getByRole('listitem').count(), { timeout: UI_MS }).toBe(19);
      await alice.rooms.getByRole('button', { name: 'Show more rooms' }).click();
      await expect.poll(() => directory.getByRole('listitem').count(), { timeout: UI_MS }).toBe(30);
      expect(await alice.rooms.getByRole('button', { name: 'Show more rooms' }).count()).toBe(0);
      await alice.rooms.getByRole('searchbox', { name: 'Search rooms' }).fill('Pe');
      await expect
        .poll(
          () =>
            directory.getByRole('button').evaluateAll((bs) => bs.map((b) => b.getAttribute('aria-label'))),
          {
            timeout: UI_MS,
          },
        )
        .toEqual(['Join #pets']);
      await alice.rooms.getByRole('searchbox', { name: 'Search rooms' }).fill('');
      await expect.poll(() => directory.getByRole('listitem').count(), { timeout: UI_MS }).toBe(19);

      // A phone: the members and the rooms are drawers.
      await alice.page.setViewportSize({ width: 360, height: 740 });
      await alice.page.getByRole('button', { name: 'Show members' }).click();
      await expect.poll(() => panel.getByRole('searchbox').isVisible(), { timeout: UI_MS }).toBe(true);
      await shoot(alice, 'big-room-3-phone-members');
      await alice.page.keyboard.press('Escape');
      await alice.page.getByRole('button', { name: 'Show rooms' }).click();
      await alice.rooms.getByRole('button', { name: 'Show more rooms' }).scrollIntoViewIfNeeded();
      await shoot(alice, 'big-room-4-phone-rooms');
    } finally {
      await crowd.stop();
    }
  });
});
