/** The browser losing its network (`context.setOffline`) and getting it back. */
import { describe, expect, test } from 'vitest';

import { by, expectConnected, expectShownOnce, pending, UI_MS } from './support/expect';
import { setupE2E } from './support/fixture';

const e2e = setupE2E();

describe('the browser going offline', () => {
  test('shows Offline, then recovers to Connected and messages flow both ways', async () => {
    const alice = await e2e.person('alice');
    const bob = await e2e.person('bob');
    await expectConnected(alice);

    const start = Date.now();
    await alice.context.setOffline(true);
    // The browser's offline event: shown at once, not after a heartbeat timeout.
    await expect.poll(() => alice.statusText(), { timeout: 1000, interval: 20 }).toMatch(/^Offline/);
    console.info(`offline: Offline shown ${Date.now() - start} ms after setOffline(true)`);
    await alice.say('written offline');
    await expect.poll(() => alice.transcript(), { timeout: UI_MS }).toMatch(pending('written offline'));
    // bob's message waits on the server for alice.
    await bob.say('while you were away');
    await alice.screenshot('offline-1');
    expect(await alice.count('while you were away')).toBe(0);
    await expect.poll(() => alice.statusText(), { timeout: UI_MS }).toMatch(/^Offline/);

    await alice.context.setOffline(false);
    await expectConnected(alice);
    await expectShownOnce(
      [alice, bob],
      [...by('alice', 'written offline'), ...by('bob', 'while you were away')],
    );

    await bob.say('welcome back');
    await alice.say('thanks');
    await expectShownOnce([alice, bob], [...by('bob', 'welcome back'), ...by('alice', 'thanks')]);
  });
});
