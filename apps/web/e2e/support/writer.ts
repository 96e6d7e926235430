/**
 * Someone writing through the protocol itself, not the app: a raw WebSocket
 * in a page of its own (Node 20 has no WebSocket without a flag, and the
 * browser's is the one the server sees every day). The page sits at the
 * server's /readyz, so the socket comes from the server's own origin and the
 * app never loads. Each message waits for its ack, and a `rate_limited` one
 * waits the server's `retryAfterMs` and goes again: within the limits.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';

export interface Writer {
  /** Sends `texts` to `room` in order, each acked before the next. */
  say(room: string, texts: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

interface Waiting {
  resolve: () => void;
  fail: (message: string) => void;
  retry: (ms: number) => void;
}

interface WriterWindow {
  tetherWriter?: { socket: WebSocket; waiting: Map<string, Waiting> };
}

export async function openWriter(
  browser: Browser,
  url: string,
  name: string,
  rooms: string[],
): Promise<Writer> {
  const context: BrowserContext = await browser.newContext({ serviceWorkers: 'block' });
  const page: Page = await context.newPage();
  await page.goto(`${url}/readyz`);
  await page.evaluate(
    ({ wsUrl, name, rooms }) =>
      new Promise<void>((resolve, reject) => {
        const socket = new WebSocket(wsUrl);
        const waiting = new Map<string, Waiting>();
        (window as WriterWindow).tetherWriter = { socket, waiting };
        let joins = rooms.length;
        socket.onopen = () => socket.send(JSON.stringify({ type: 'hello', v: 1, name }));
        socket.onclose = (event) => reject(new Error(`writer closed ${event.code} ${event.reason}`));
        socket.onmessage = (event) => {
          const frame = JSON.parse(String(event.data)) as {
            type: string;
            id?: string;
            request?: string;
            code?: string;
            message?: string;
            retryAfterMs?: number;
          };
          if (frame.type === 'welcome')
            for (const room of rooms) socket.send(JSON.stringify({ type: 'join', room }));
          else if (frame.type === 'joined' && --joins === 0) resolve();
          else if (frame.type === 'ack' && frame.id) waiting.get(frame.id)?.resolve();
          else if (frame.type === 'error') {
            const pending = frame.id ? waiting.get(frame.id) : undefined;
            if (pending && frame.code === 'rate_limited') pending.retry(frame.retryAfterMs ?? 1000);
            else if (pending) pending.fail(`${frame.code ?? ''}: ${frame.message ?? ''}`);
            else if (joins > 0) reject(new Error(`${frame.code}: ${frame.message}`));
          }
        };
      }),
    { wsUrl: `${url.replace(/^http/, 'ws')}/ws`, name, rooms },
  );
  let sent = 0;
  return {
    async say(room, texts) {
      const first = sent;
      sent += texts.length;
      await page.evaluate(
        async ({ room, texts, first }) => {
          const writer = (window as WriterWindow).tetherWriter;
          if (!writer) throw new Error('no writer');
          for (let i = 0; i < texts.length; i++) {
            const id = `w_${first + i}`;
            const frame = JSON.stringify({ type: 'send', room, id, text: texts[i] });
            await new Promise<void>((resolve, reject) => {
              writer.waiting.set(id, {
                resolve,
                fail: (message) => reject(new Error(message)),
                retry: (ms) => setTimeout(() => writer.socket.send(frame), ms),
              });
              writer.socket.send(frame);
            });
            writer.waiting.delete(id);
          }
        },
        { room, texts, first },
      );
    },
    async close() {
      await context.close();
    },
  };
}
