/**
 * Two people in their own browsers, chatting through the real server: the
 * first screen, messages, members, typing, and a second room.
 */
import { describe, expect, test } from 'vitest';

import { by, DELIVERY_MS, expectConnected, expectShownOnce, UI_MS } from './support/expect';
import { setupE2E } from './support/fixture';

const e2e = setupE2E();

/** "bob is typing…", the name isolated with FSI/PDI inside the sentence (components/bidi.ts). */
const typingLine = (name: string) => new RegExp(`^\u2068?${name}\u2069? is typing…$`);

describe('chatting', () => {
  test('alice and bob land in #general and see each other, typing and every message once', async () => {
    const alice = await e2e.person('alice');
    const bob = await e2e.person('bob');

    for (const person of [alice, bob]) {
      await expect.poll(() => person.heading.textContent(), { timeout: 10_000 }).toBe('general');
      await expect.poll(() => person.composerFocused(), { timeout: UI_MS }).toBe(true);
      await expectConnected(person);
      for (const name of ['alice', 'bob']) {
        await expect
          .poll(() => person.members.getByText(name, { exact: true }).count(), {
            timeout: 10_000,
            message: `${name} in ${person.name}'s members`,
          })
          .toBe(1);
      }
    }

    // Typing shows for the other one only, and ends when the message arrives.
    await bob.composer.fill('hello al');
    await alice.page.getByText(typingLine('bob')).waitFor({ timeout: UI_MS });
    await alice.screenshot('chat-1-bob-typing');
    expect(await bob.page.getByText(typingLine('bob')).count()).toBe(0);
    await bob.composer.fill('hello alice');
    await bob.sendButton.click();
    await alice.page.getByText(typingLine('bob')).waitFor({ state: 'hidden', timeout: UI_MS });

    await alice.composer.fill('hi bob, how are you');
    await bob.page.getByText(typingLine('alice')).waitFor({ timeout: UI_MS });
    await alice.composer.press('Enter');
    await expect.poll(() => alice.composer.inputValue(), { timeout: UI_MS }).toBe('');

    await bob.say('fine, thanks');
    await expectShownOnce(
      [alice, bob],
      [...by('bob', 'hello alice', 'fine, thanks'), ...by('alice', 'hi bob, how are you')],
    );
    await bob.screenshot('chat-2-bob');
  });
});

describe('rooms', () => {
  test('joining another room switches heading and composer; the room left behind counts unread', async () => {
    const alice = await e2e.person('alice');
    const bob = await e2e.person('bob');
    await expect.poll(() => alice.heading.textContent(), { timeout: 10_000 }).toBe('general');

    await alice.joinRoom('random');
    await expect.poll(() => alice.heading.textContent(), { timeout: 10_000 }).toBe('random');
    await expect
      .poll(() => alice.composer.getAttribute('placeholder'), { timeout: UI_MS })
      .toBe('Message #random');
    await expect.poll(() => alice.composerFocused(), { timeout: UI_MS }).toBe(true);
    await expect
      .poll(
        () => alice.rooms.getByRole('button', { name: 'random', exact: true }).getAttribute('aria-current'),
        { timeout: UI_MS },
      )
      .toBe('page');
    await alice.say('first in random');
    await expectShownOnce([alice], by('alice', 'first in random'));

    // bob, still in #general, writes twice: alice's #general counts them.
    await bob.say('news in general');
    await bob.say('more news in general');
    await expectShownOnce([bob], by('bob', 'news in general', 'more news in general'));
    await alice.rooms
      .getByRole('button', { name: 'general, 2 unread messages', exact: true })
      .waitFor({ timeout: DELIVERY_MS });
    await expect.poll(() => alice.page.title(), { timeout: UI_MS }).toBe('(2) Tether');
    await alice.screenshot('rooms-1-unread');
    expect(await alice.count('news in general')).toBe(0);
    expect(await alice.heading.textContent()).toBe('random');

    // Back in #general: both messages there, the count gone.
    await alice.rooms.getByRole('button', { name: /^general/ }).click();
    await expect.poll(() => alice.heading.textContent(), { timeout: 10_000 }).toBe('general');
    await expect
      .poll(() => alice.composer.getAttribute('placeholder'), { timeout: UI_MS })
      .toBe('Message #general');
    await expectShownOnce([alice], by('bob', 'news in general', 'more news in general'));
    await alice.rooms.getByRole('button', { name: 'general', exact: true }).waitFor();
    await expect.poll(() => alice.page.title(), { timeout: UI_MS }).toBe('Tether');
    expect(await alice.count('first in random')).toBe(0);
  });
});
