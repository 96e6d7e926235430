/**
 * Per file: one browser. Per test: a fresh server (own port, own database) and
 * the people the test opens, each in an isolated browser context; all closed
 * after the test, whether it passed or not.
 */
import { afterAll, afterEach, beforeAll, beforeEach, expect, inject } from 'vitest';
import type { Browser } from 'playwright-core';

import { Person, launchBrowser } from './person';
import type { OpenOptions } from './person';
import { startChatServer } from './server';
import type { ChatServer } from './server';

export interface E2E {
  readonly server: ChatServer;
  /** The file's browser, for contexts a test makes itself (closed with the browser). */
  browser(): Promise<Browser>;
  /** Opens the app for `name` (not joined yet). */
  open(name: string, options?: OpenOptions): Promise<Person>;
  /** Opens the app for `name` and picks the name. */
  person(name: string, options?: OpenOptions): Promise<Person>;
}

export interface E2EOptions {
  /** More server settings for every test of the file (see `startChatServer`). */
  server?: Record<string, string>;
}

export function setupE2E(options: E2EOptions = {}): E2E {
  let browser: Browser | null = null;
  let server: ChatServer | null = null;
  let people: Person[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  beforeEach(async () => {
    server = await startChatServer(inject('staticDir'), options.server);
  });
  afterEach(async ({ task }) => {
    // What each person saw when a test failed.
    if (task.result?.state === 'fail') {
      const slug = task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
      await Promise.all(people.map((p) => p.screenshot(`failed-${slug}-${p.name}`).catch(() => undefined)));
    }
    const errors = people.flatMap((p) => p.pageErrors);
    await Promise.all(people.map((p) => p.close()));
    people = [];
    await server?.dispose();
    server = null;
    expect(errors, 'uncaught exceptions in the pages').toEqual([]);
  });

  const e2e: E2E = {
    get server() {
      if (!server) throw new Error('no server outside a test');
      return server;
    },
    browser() {
      if (!browser) return Promise.reject(new Error('no browser outside a test'));
      return Promise.resolve(browser);
    },
    async open(name, options) {
      if (!browser) throw new Error('no browser outside a test');
      const person = await Person.open(browser, e2e.server.url, name, options);
      people.push(person);
      return person;
    },
    async person(name, options) {
      const person = await e2e.open(name, options);
      await person.join();
      return person;
    },
  };
  return e2e;
}
