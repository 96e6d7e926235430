/**
 * One person in a browser: an isolated browser context (own storage, own
 * service worker) with one page, driven only through what the UI exposes to
 * assistive technology: roles and accessible names.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';

/** Screenshots of a run go here (outside the repository). */
export const SHOTS_DIR = '/tmp/e2e-shots';

/** How long a single Playwright action or wait may take before the test fails. */
const ACTION_TIMEOUT_MS = 10_000;

/** `executablePath` of Chromium; CHROMIUM_PATH overrides Debian's. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
    ],
    timeout: 30_000,
  });
}

export interface OpenOptions {
  /** @default 1280 × 800 */
  viewport?: { width: number; height: number };
}

export class Person {
  /** Uncaught exceptions on the page: a test ends by checking there were none. */
  readonly pageErrors: string[] = [];

  private constructor(
    readonly name: string,
    readonly context: BrowserContext,
    readonly page: Page,
  ) {
    page.on('pageerror', (error) => {
      this.pageErrors.push(`${name}: ${error.message}`);
    });
  }

  /** Opens the app at `url` in a fresh browser context (nothing shared with anyone else). */
  static async open(browser: Browser, url: string, name: string, options: OpenOptions = {}): Promise<Person> {
    const context = await browser.newContext({
      locale: 'en-US',
      viewport: options.viewport ?? { width: 1280, height: 800 },
      serviceWorkers: 'allow',
    });
    context.setDefaultTimeout(ACTION_TIMEOUT_MS);
    context.setDefaultNavigationTimeout(ACTION_TIMEOUT_MS);
    const page = await context.newPage();
    const person = new Person(name, context, page);
    await page.goto(url);
    return person;
  }

  // ------------------------------------------------------------- locators

  get nameInput(): Locator {
    return this.page.getByRole('textbox', { name: 'Your name' });
  }

  get composer(): Locator {
    return this.page.getByRole('textbox', { name: 'Message', exact: true });
  }

  get sendButton(): Locator {
    return this.page.getByRole('button', { name: 'Send', exact: true });
  }

  get log(): Locator {
    return this.page.getByRole('log', { name: 'Messages' });
  }

  get status(): Locator {
    return this.page.getByRole('status');
  }

  get members(): Locator {
    return this.page.getByRole('list', { name: 'Members' });
  }

  get rooms(): Locator {
    return this.page.getByRole('navigation', { name: 'Rooms' });
  }

  get heading(): Locator {
    return this.page.getByRole('heading', { level: 1 });
  }

  /** Rows of the message log that carry exactly `text`. */
  message(text: string): Locator {
    return this.log.getByText(text, { exact: true });
  }

  // -------------------------------------------------------------- actions

  /** Picks a name on the welcome screen and waits for the chat. */
  async join(): Promise<void> {
    await this.nameInput.fill(this.name);
    await this.page.getByRole('button', { name: 'Join chat' }).click();
    await this.composer.waitFor({ state: 'visible' });
  }

  /** Types `text` into the composer and presses Send. */
  async say(text: string): Promise<void> {
    await this.composer.fill(text);
    await this.sendButton.click();
  }

  async joinRoom(room: string): Promise<void> {
    await this.rooms.getByRole('textbox', { name: 'Room name' }).fill(room);
    await this.rooms.getByRole('button', { name: 'Join room' }).click();
  }

  // -------------------------------------------------------------- reading

  /** How many times `text` is shown in the message log. */
  count(text: string): Promise<number> {
    return this.message(text).count();
  }

  /**
   * The message log as a screen reader reads it, flattened to one line:
   * authors, times, texts and states ("Sending…") in reading order.
   */
  async transcript(): Promise<string> {
    const snapshot = await this.log.ariaSnapshot();
    return snapshot
      .split('\n')
      .map((line) => line.replace(/^\s*- [a-z]+(?: "[^"]*")?:?\s*/, '').replace(/^"(.*)"$/, '$1'))
      .filter((line) => line !== '')
      .join(' ');
  }

  /** The connection status as announced ("Connected, …", "Reconnecting…", "Offline…"). */
  async statusText(): Promise<string> {
    return ((await this.status.textContent()) ?? '').trim();
  }

  /** Whether the composer has the keyboard focus. */
  composerFocused(): Promise<boolean> {
    return this.composer.evaluate((el) => el === el.ownerDocument.activeElement);
  }

  /** Resolves once the service worker is active, i.e. the app shell is precached. */
  async serviceWorkerReady(): Promise<void> {
    await this.page.evaluate(async () => {
      await navigator.serviceWorker.ready;
    });
  }

  async screenshot(file: string): Promise<void> {
    await mkdir(SHOTS_DIR, { recursive: true });
    await this.page.screenshot({ path: join(SHOTS_DIR, `${file}.png`) });
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}
