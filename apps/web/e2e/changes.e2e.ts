/**
 * Changing messages (issue 14) between two people in Chromium, through the
 * real server: alice edits, deletes, reacts and replies, and bob sees each
 * change once; bob away while alice edits and deletes sees both when he is
 * back; a reload keeps everything. Driven by roles and names only, as
 * assistive technology sees the page (the row is found by its text).
 */
import { describe, expect, test } from 'vitest';
import type { Locator } from 'playwright-core';

import { by, expectConnected, expectShownOnce, UI_MS, DELIVERY_MS } from './support/expect';
import { setupE2E } from './support/fixture';
import type { Person } from './support/person';

const e2e = setupE2E();

/** The message whose bubble says exactly `text` (a reply's quote of it is not it). */
function row(person: Person, text: string): Locator {
  const exactly = new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  return person.log
    .locator('.msg')
    .filter({ has: person.page.locator('.msg-text').filter({ hasText: exactly }) });
}

/** Clicks one of a message's actions (hovering it first, as a mouse does). */
async function act(person: Person, text: string, action: 'Reply' | 'Edit' | 'Delete' | 'Add reaction') {
  const message = row(person, text);
  await message.hover();
  await message.getByRole('button', { name: action, exact: true }).click();
}

async function edit(person: Person, text: string, next: string): Promise<void> {
  await act(person, text, 'Edit');
  const box = person.log.getByRole('textbox', { name: 'Edit message' });
  await box.fill(next);
  await box.press('Enter');
}

async function remove(person: Person, text: string): Promise<void> {
  await act(person, text, 'Delete');
  await person.page.getByRole('dialog').getByRole('button', { name: 'Delete', exact: true }).click();
}

async function react(person: Person, text: string, emoji: string): Promise<void> {
  await act(person, text, 'Add reaction');
  await person.page
    .getByRole('dialog', { name: 'Add reaction' })
    .getByRole('button', { name: emoji })
    .click();
}

const poll = (fn: () => Promise<unknown>, timeout = DELIVERY_MS) => expect.poll(fn, { timeout });

/** What each person must see of the changes below, once. */
async function expectChanged(people: readonly Person[]): Promise<void> {
  for (const person of people) {
    await poll(() => person.count('edited text')).toBe(1);
    await poll(() => person.count('first draft')).toBe(0);
    await poll(() => row(person, 'edited text').getByText('(edited)').count()).toBe(1);
    await poll(() => person.log.getByText('Message deleted', { exact: true }).count()).toBe(1);
    await poll(() => person.count('to be removed')).toBe(0);
  }
}

describe('changing messages', () => {
  test('alice edits, deletes, reacts and replies; bob sees each once; a reload keeps them', async () => {
    const alice = await e2e.person('alice');
    const bob = await e2e.person('bob');
    await expectConnected(alice);
    await expectConnected(bob);
    await alice.say('first draft');
    await alice.say('to be removed');
    await bob.say('ship it?');
    await expectShownOnce(
      [alice, bob],
      [...by('alice', 'first draft', 'to be removed'), ...by('bob', 'ship it?')],
    );

    await edit(alice, 'first draft', 'edited text');
    await remove(alice, 'to be removed');
    await expectChanged([alice, bob]);

    await react(alice, 'ship it?', '👍');
    for (const person of [alice, bob]) {
      await poll(() => person.log.getByRole('button', { name: '👍 1' }).count()).toBe(1);
    }
    await expect
      .poll(() => alice.log.getByRole('button', { name: '👍 1' }).getAttribute('aria-pressed'))
      .toBe('true');
    expect(await bob.log.getByRole('button', { name: '👍 1' }).getAttribute('aria-pressed')).toBe('false');
    // bob adds his: one pill, two people, pressed for him too.
    await bob.log.getByRole('button', { name: '👍 1' }).click();
    for (const person of [alice, bob]) {
      await poll(() => person.log.getByRole('button', { name: '👍 2' }).getAttribute('aria-pressed')).toBe(
        'true',
      );
    }

    await act(alice, 'ship it?', 'Reply');
    await expect.poll(() => alice.page.getByText('Replying to bob').count(), { timeout: UI_MS }).toBe(1);
    await alice.say('yes, ship it');
    await expect.poll(() => alice.page.getByText('Replying to bob').count(), { timeout: UI_MS }).toBe(0);
    for (const person of [alice, bob]) {
      await poll(() => person.count('yes, ship it')).toBe(1);
      await poll(() =>
        row(person, 'yes, ship it')
          .getByRole('button', { name: /^Reply to bob: ship it\?/ })
          .count(),
      ).toBe(1);
    }
    // The quote shows the original, highlighted.
    await row(bob, 'yes, ship it')
      .getByRole('button', { name: /^Reply to bob/ })
      .click();
    await expect
      .poll(() => row(bob, 'ship it?').getAttribute('data-highlight'), { timeout: UI_MS })
      .toBe('true');

    await bob.page.reload();
    await bob.composer.waitFor();
    await expectChanged([bob]);
    await poll(() => bob.log.getByRole('button', { name: '👍 2' }).count()).toBe(1);
    await poll(() =>
      row(bob, 'yes, ship it')
        .getByRole('button', { name: /^Reply to bob/ })
        .count(),
    ).toBe(1);
  });

  test('bob away while alice edits and deletes sees both when he is back', async () => {
    const alice = await e2e.person('alice');
    const bob = await e2e.person('bob');
    await expectConnected(bob);
    await alice.say('first draft');
    await alice.say('to be removed');
    await expectShownOnce([alice, bob], by('alice', 'first draft', 'to be removed'));

    await bob.context.setOffline(true);
    await expect.poll(() => bob.statusText(), { timeout: UI_MS }).toMatch(/^Offline/);
    await edit(alice, 'first draft', 'edited text');
    await remove(alice, 'to be removed');
    await expectChanged([alice]);
    expect(await bob.count('first draft')).toBe(1);

    await bob.context.setOffline(false);
    await expectConnected(bob);
    await expectChanged([bob]);
  });

  test('changes made offline wait, survive a reload, and go out once when back', async () => {
    const alice = await e2e.person('alice');
    const bob = await e2e.person('bob');
    await alice.say('first draft');
    await alice.say('to be removed');
    await expectShownOnce([alice, bob], by('alice', 'first draft', 'to be removed'));
    await alice.serviceWorkerReady();

    await alice.context.setOffline(true);
    await expect.poll(() => alice.statusText(), { timeout: UI_MS }).toMatch(/^Offline/);
    await edit(alice, 'first draft', 'edited text');
    await remove(alice, 'to be removed');
    await poll(() => alice.log.getByText('Saving…').count(), UI_MS).toBe(2);
    await alice.page.reload();
    await alice.composer.waitFor();
    await poll(() => alice.log.getByText('Saving…').count(), UI_MS).toBe(2);
    await expectChanged([alice]);
    expect(await bob.count('first draft')).toBe(1);

    await alice.context.setOffline(false);
    await expectConnected(alice);
    await expectChanged([alice, bob]);
    await poll(() => alice.log.getByText('Saving…').count()).toBe(0);
  });
});
