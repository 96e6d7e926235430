/**
 * The server dies (SIGKILL) and comes back on the same port and database:
 * what was written meanwhile waits as "Sending…" (across a reload too) and is
 * delivered exactly once. Or it is restarted (SIGTERM): its goodbye carries a
 * restart hint, and the page is back about a second after the new process
 * is ready, without anyone pressing anything.
 */
import { describe, expect, test } from 'vitest';

import { by, expectConnected, expectShownOnce, pending, saidBy, UI_MS } from './support/expect';
import { setupE2E } from './support/fixture';

const e2e = setupE2E();

/** What the status says while there is no server. */
const DOWN = /^(Reconnecting|Offline|Connecting)/;

/** Polls `check` every 20 ms until it holds; returns how long that took, in ms. */
async function msUntil(check: () => Promise<boolean>, timeout: number): Promise<number> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeout) throw new Error(`not within ${timeout} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return Date.now() - start;
}

describe('the server restarting', () => {
  test('restarted with SIGTERM: back within 2 s of the new process being ready, nothing pressed', async () => {
    const alice = await e2e.person('alice');
    const bob = await e2e.person('bob');
    await expectConnected(alice);
    await expectConnected(bob);

    await e2e.server.stop('SIGTERM');
    // The goodbye said "restarting": the banner says so, not a countdown.
    await expect
      .poll(() => alice.statusText(), { timeout: UI_MS })
      .toMatch(/^Server restarting… reconnecting/);
    await alice.screenshot('sigterm-1-restarting');

    await e2e.server.start();
    const connectedMs = await msUntil(async () => (await alice.statusText()).startsWith('Connected'), 10_000);
    await alice.say('back after the restart');
    await expectShownOnce([alice, bob], by('alice', 'back after the restart'));
    console.info(`SIGTERM restart: alice Connected ${connectedMs} ms after the new server was ready`);
    expect(connectedMs).toBeLessThan(2000);
    await alice.screenshot('sigterm-2-back');
  });

  test('killed while alice sends: Sending… while down, then delivered once to both', async () => {
    const alice = await e2e.person('alice');
    const bob = await e2e.person('bob');
    await expectConnected(alice);
    await expectConnected(bob);
    await alice.say('before the crash');
    await expectShownOnce([alice, bob], by('alice', 'before the crash'));

    // Sent as the server dies: stored or not, acked or not, it must end up shown once.
    await alice.composer.fill('racing the crash');
    await Promise.all([alice.sendButton.click(), e2e.server.stop('SIGKILL')]);
    await expect.poll(() => alice.statusText(), { timeout: 10_000 }).toMatch(DOWN);

    await alice.say('sent while the server is down');
    await expect
      .poll(() => alice.transcript(), { timeout: UI_MS })
      .toMatch(pending('sent while the server is down'));
    await expect.poll(() => alice.statusText(), { timeout: UI_MS }).toMatch(DOWN);
    await alice.screenshot('restart-1-down');

    await e2e.server.start();
    await expectConnected(alice);
    await expectConnected(bob);
    await expectShownOnce(
      [alice, bob],
      by('alice', 'before the crash', 'racing the crash', 'sent while the server is down'),
    );
    for (const person of [alice, bob]) {
      for (const name of ['alice', 'bob']) {
        await expect
          .poll(() => person.members.getByText(name, { exact: true }).count(), { timeout: 10_000 })
          .toBe(1);
      }
    }
    await alice.screenshot('restart-2-up');
  });

  test('a reload while the server is down keeps alice signed in and her unsent message', async () => {
    const alice = await e2e.person('alice');
    const bob = await e2e.person('bob');
    await expectConnected(alice);
    // The app shell is precached: the reload below is answered by the service worker.
    await alice.serviceWorkerReady();

    await e2e.server.stop('SIGKILL');
    await expect.poll(() => alice.statusText(), { timeout: 10_000 }).toMatch(DOWN);
    await alice.say('kept across a reload');
    await expect.poll(() => alice.transcript(), { timeout: UI_MS }).toMatch(pending('kept across a reload'));

    await alice.page.reload();
    await alice.composer.waitFor();
    expect(await alice.page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
    expect(await alice.nameInput.count()).toBe(0);
    await expect.poll(() => alice.count('kept across a reload'), { timeout: UI_MS }).toBe(1);
    await expect
      .poll(() => alice.transcript(), { timeout: UI_MS })
      .toMatch(saidBy('alice', 'kept across a reload'));
    await expect.poll(() => alice.transcript(), { timeout: UI_MS }).toMatch(pending('kept across a reload'));
    await expect.poll(() => alice.statusText(), { timeout: UI_MS }).toMatch(DOWN);
    await alice.screenshot('reload-1-down');

    await e2e.server.start();
    await expectConnected(alice);
    await expectShownOnce([alice, bob], by('alice', 'kept across a reload'));
    await expect
      .poll(() => alice.members.getByText('alice', { exact: true }).count(), { timeout: 10_000 })
      .toBe(1);
    expect(await alice.nameInput.count()).toBe(0);
    await alice.screenshot('reload-2-up');
  });
});
