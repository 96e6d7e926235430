/**
 * Screenshots of changed messages for a person to look at (in SHOTS_DIR):
 * the actions, editing, reactions and the picker, a deleted message, a
 * reply and formatted code; at 1280 px with a mouse and at 360 px on a
 * touch screen, light and dark. It checks only that each scene is there.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { describe, expect, test } from 'vitest';
import type { Locator, Page } from 'playwright-core';

import { setupE2E } from './support/fixture';
import { SHOTS_DIR } from './support/person';

const e2e = setupE2E();

const CODE = [
  'Try this:',
  '```ts',
  "const answer = await fetch('/api/answers?question=what-is-the-meaning-of-everything').then((r) => r.json());",
  'console.log(answer);',
  '```',
  '**bold**, *italic*, ~~gone~~ and `inline code`',
  '> quoted line',
  '- one',
  '- two',
].join('\n');

interface Variant {
  label: string;
  viewport: { width: number; height: number };
  touch: boolean;
}

const DESKTOP: Variant = { label: 'desktop', viewport: { width: 1280, height: 800 }, touch: false };
const MOBILE: Variant = { label: 'mobile', viewport: { width: 360, height: 740 }, touch: true };
const VARIANTS = [DESKTOP, MOBILE];

async function openAs(variant: Variant, name: string): Promise<Page> {
  const context = await (
    await e2e.browser()
  ).newContext({
    locale: 'en-US',
    viewport: variant.viewport,
    hasTouch: variant.touch,
    isMobile: variant.touch,
  });
  const page = await context.newPage();
  await page.goto(e2e.server.url);
  await page.getByRole('textbox', { name: 'Your name' }).fill(name);
  await page.getByRole('button', { name: 'Join chat' }).click();
  await page.getByRole('textbox', { name: 'Message', exact: true }).waitFor();
  return page;
}

async function say(page: Page, text: string): Promise<void> {
  const box = page.getByRole('textbox', { name: 'Message', exact: true });
  await box.fill(text);
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await expect.poll(() => page.getByRole('log').getByText('Sending…').count(), { timeout: 10_000 }).toBe(0);
}

function row(page: Page, text: string): Locator {
  return page
    .getByRole('log')
    .locator('.msg')
    .filter({ has: page.locator('.msg-text', { hasText: text }) });
}

async function actions(page: Page, variant: Variant, text: string): Promise<Locator> {
  const message = row(page, text).last();
  if (variant.touch) await message.getByRole('button', { name: 'Message actions' }).click();
  else await message.hover();
  return message;
}

async function shoot(page: Page, file: string): Promise<void> {
  await mkdir(SHOTS_DIR, { recursive: true });
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.waitForTimeout(150);
    await page.screenshot({ path: join(SHOTS_DIR, `${file}-${scheme}.png`) });
  }
}

describe('screenshots of changed messages', () => {
  for (const variant of VARIANTS) {
    test(`at ${variant.viewport.width} px`, async () => {
      const me = `ann-${variant.label}`;
      const other = `bo-${variant.label}`;
      const bob = await openAs(DESKTOP, other);
      const alice = await openAs(variant, me);
      try {
        await scenes(variant, alice, bob);
      } catch (error) {
        await alice.screenshot({ path: join(SHOTS_DIR, `changes-${variant.label}-failed.png`) });
        throw error;
      } finally {
        await alice.context().close();
        await bob.context().close();
      }
    });
  }
});

async function scenes(variant: Variant, alice: Page, bob: Page): Promise<void> {
  await say(bob, CODE);
  await say(alice, 'this one will be edited');
  await say(alice, 'this one will be deleted');
  await say(bob, '🎉🎉');
  await say(bob, 'Shall we ship it today?');

  // Reactions: alice's pressed, bob's not.
  for (const page of [alice, bob]) {
    const message = await actions(page, page === alice ? variant : DESKTOP, 'Shall we ship it today?');
    await message.getByRole('button', { name: 'Add reaction' }).click();
    await page.getByRole('dialog', { name: 'Add reaction' }).getByRole('button', { name: '👍' }).click();
  }
  await expect.poll(() => alice.getByRole('button', { name: '👍 2' }).count(), { timeout: 10_000 }).toBe(1);
  const bobReacts = await actions(bob, DESKTOP, 'Try this:');
  await bobReacts.getByRole('button', { name: 'Add reaction' }).click();
  await bob.getByRole('dialog', { name: 'Add reaction' }).getByRole('button', { name: '🙏' }).click();

  // Edited, deleted, a reply.
  let message = await actions(alice, variant, 'this one will be edited');
  await message.getByRole('button', { name: 'Edit' }).click();
  const box = alice.getByRole('textbox', { name: 'Edit message' });
  await box.fill('this one was edited');
  await shoot(alice, `changes-${variant.label}-editing`);
  await box.press('Enter');
  message = await actions(alice, variant, 'this one will be deleted');
  await message.getByRole('button', { name: 'Delete' }).click();
  await shoot(alice, `changes-${variant.label}-delete-dialog`);
  await alice.getByRole('dialog').getByRole('button', { name: 'Delete', exact: true }).click();
  message = await actions(alice, variant, 'Shall we ship it today?');
  await message.getByRole('button', { name: 'Reply' }).click();
  await shoot(alice, `changes-${variant.label}-replying`);
  await say(alice, 'Yes, after the review.');
  await expect.poll(() => bob.getByText('Message deleted').count(), { timeout: 10_000 }).toBe(1);

  await alice.mouse.move(0, 0);
  await shoot(alice, `changes-${variant.label}-timeline`);
  await actions(alice, variant, 'Yes, after the review.');
  await shoot(alice, `changes-${variant.label}-actions`);
  const own = row(alice, 'Yes, after the review.').last();
  await own.getByRole('button', { name: 'Add reaction' }).click();
  await alice
    .getByRole('dialog', { name: 'Add reaction' })
    .getByRole('button', { name: 'More emoji' })
    .click();
  await alice.getByRole('searchbox', { name: 'Search emoji' }).waitFor();
  await shoot(alice, `changes-${variant.label}-picker`);
  await alice.keyboard.press('Escape');

  // Scrolled up to the code block, to see it whole.
  await row(alice, 'Try this:').scrollIntoViewIfNeeded();
  await shoot(alice, `changes-${variant.label}-code`);
}
