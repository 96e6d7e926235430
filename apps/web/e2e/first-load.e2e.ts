/**
 * What a first visit costs over the network, measured in Chromium through
 * the real server serving the real build: every byte the page's requests
 * transferred (headers and compressed bodies, Chrome's encodedDataLength),
 * then what a second visit costs once the service worker and the HTTP
 * cache are warm, and what the service worker fetched in the background.
 */
import { describe, expect, test } from 'vitest';
import type { BrowserContext, CDPSession, Page } from 'playwright-core';

import { setupE2E } from './support/fixture';

const e2e = setupE2E();

const KIB = 1024;

interface Transfer {
  url: string;
  bytes: number;
  encoding: string | undefined;
  status: number;
  fromServiceWorker: boolean;
}

/** Records the page's requests over CDP until `stop` is called. */
async function recordNetwork(page: Page): Promise<{ stop(): Promise<Transfer[]> }> {
  const cdp: CDPSession = await page.context().newCDPSession(page);
  const responses = new Map<string, Omit<Transfer, 'bytes'>>();
  const done: Transfer[] = [];
  cdp.on('Network.responseReceived', (event) => {
    const headers = event.response.headers;
    const encoding = Object.entries(headers).find(([k]) => k.toLowerCase() === 'content-encoding')?.[1];
    responses.set(event.requestId, {
      url: event.response.url,
      encoding,
      status: event.response.status,
      fromServiceWorker: event.response.fromServiceWorker ?? false,
    });
  });
  cdp.on('Network.loadingFinished', (event) => {
    const response = responses.get(event.requestId);
    if (response) done.push({ ...response, bytes: event.encodedDataLength });
  });
  await cdp.send('Network.enable');
  return {
    async stop() {
      await cdp.detach();
      return done;
    },
  };
}

/** Bytes the service worker fetched for itself (its precache), from the context's request events. */
function recordServiceWorker(context: BrowserContext): () => { url: string; bytes: number }[] {
  const fetched: { url: string; bytes: number }[] = [];
  context.on('requestfinished', (request) => {
    if (!request.serviceWorker()) return;
    void request
      .sizes()
      .then((sizes) => {
        fetched.push({ url: request.url(), bytes: sizes.responseBodySize + sizes.responseHeadersSize });
      })
      .catch(() => undefined);
  });
  return () => fetched;
}

const total = (transfers: { bytes: number }[]) => transfers.reduce((sum, t) => sum + t.bytes, 0);
const short = (url: string) => new URL(url).pathname;

describe('the first load', () => {
  test('is under 130 KiB brotli; a second visit is almost nothing over the network', async () => {
    // A context of its own: an empty HTTP cache, no service worker.
    const fresh = await (await e2e.browser()).newContext({ locale: 'en-US', serviceWorkers: 'allow' });
    const swFetched = recordServiceWorker(fresh);
    const first = await fresh.newPage();
    const firstNetwork = await recordNetwork(first);
    await first.goto(e2e.server.url, { waitUntil: 'networkidle' });
    await first.getByRole('textbox', { name: 'Your name' }).waitFor();
    const firstVisit = await firstNetwork.stop();

    // The service worker installs and precaches after the page is up.
    await first.evaluate(async () => {
      await navigator.serviceWorker.ready;
    });
    await first.waitForTimeout(500);
    const precached = swFetched();
    const cached = await first.evaluate(async () => {
      const names = await caches.keys();
      const urls: string[] = [];
      for (const name of names)
        for (const request of await (await caches.open(name)).keys()) urls.push(request.url);
      return urls;
    });

    const repeat = await fresh.newPage();
    const repeatNetwork = await recordNetwork(repeat);
    await repeat.goto(e2e.server.url, { waitUntil: 'networkidle' });
    await repeat.getByRole('textbox', { name: 'Your name' }).waitFor();
    const repeatVisit = await repeatNetwork.stop();
    const overNetwork = repeatVisit.filter((t) => !t.fromServiceWorker);

    const lines = (transfers: Transfer[]) =>
      transfers
        .map(
          (t) =>
            `  ${t.status} ${t.bytes} B ${t.encoding ?? '-'}${t.fromServiceWorker ? ' (sw)' : ''} ${short(t.url)}`,
        )
        .join('\n');
    console.info(
      `first visit: ${total(firstVisit)} B in ${firstVisit.length} requests\n${lines(firstVisit)}\n` +
        `service worker precache: ${total(precached)} B in ${precached.length} requests; cached: ${cached.map(short).join(', ')}\n` +
        `repeat visit: ${total(overNetwork)} B over the network, ${repeatVisit.length - overNetwork.length} from the service worker\n${lines(repeatVisit)}`,
    );

    expect(total(firstVisit)).toBeLessThan(130 * KIB);
    const mainJs = firstVisit.find((t) => /\/assets\/index-[^/]+\.js$/.test(t.url));
    expect(mainJs?.encoding).toBe('br');
    expect(total(overNetwork)).toBeLessThan(10 * KIB);

    // Source maps are not served (SERVE_SOURCE_MAPS is off by default).
    const map = await fetch(`${mainJs?.url ?? `${e2e.server.url}/assets/index.js`}.map`);
    expect(map.status).toBe(404);
    await fresh.close();
  });
});
