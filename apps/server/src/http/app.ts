/**
 * The HTTP side: health, readiness and metrics routes, and the built web UI.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

import Router from '@koa/router';
import Koa from 'koa';
import serve from 'koa-static';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

import { LogSampler } from '../util/log-sampler.js';
import { securityHeaders } from './security-headers.js';

export interface HttpAppOptions {
  staticDir: string;
  log: Logger;
  registry: Registry;
  /** Resolves when the server can take traffic; rejects (with a reason) when not. */
  ready: () => Promise<void>;
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Tether</title>
<p>The web UI is not built yet. Run <code>pnpm build</code> (or <code>pnpm start</code>, which builds what is missing).</p>`;

export function createHttpApp(options: HttpAppOptions): Koa {
  const app = new Koa();
  const router = new Router();

  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });

  // Ready or not, and nothing more: why goes to the log, not to whoever asks.
  const notReady = new LogSampler(1);
  router.get('/readyz', async (ctx) => {
    try {
      await options.ready();
      ctx.body = { status: 'ready' };
    } catch (error) {
      ctx.status = 503;
      ctx.body = { status: 'unavailable' };
      const sampled = notReady.take('readyz');
      if (sampled.log) options.log.warn({ err: error, suppressed: sampled.suppressed }, 'not ready');
    }
  });

  router.get('/metrics', async (ctx) => {
    ctx.type = options.registry.contentType;
    ctx.body = await options.registry.metrics();
  });

  // A refused request (a 4xx: a bad path, a missing file) is the client's
  // doing: one short line, a few per client a minute. Only the server's own
  // failures are logged whole.
  const refusals = new LogSampler();
  app.on('error', (error: unknown, ctx?: Koa.Context) => {
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number' && status < 500) {
      const sampled = refusals.take(ctx?.ip ?? 'unknown');
      if (sampled.log) {
        options.log.info(
          { status, path: ctx?.path.slice(0, 200), ip: ctx?.ip, suppressed: sampled.suppressed },
          'refused a request',
        );
      }
      return;
    }
    options.log.warn({ err: error }, 'http error');
  });

  app.use(securityHeaders());
  app.use(router.routes());
  app.use(router.allowedMethods());
  // koa-static resolves paths inside `staticDir` only (no `..`, no NUL) and
  // skips dotfiles; immutable hashed assets may be cached for a long time.
  app.use(
    serve(options.staticDir, {
      index: 'index.html',
      hidden: false,
      setHeaders: (res, file) => {
        if (file.includes(`${path.sep}assets${path.sep}`)) {
          res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
        } else {
          res.setHeader('Cache-Control', 'no-cache');
        }
      },
    }),
  );
  // Without a build there is no index.html: say how to make one instead of a bare 404.
  const indexFile = path.join(options.staticDir, 'index.html');
  app.use((ctx) => {
    if (ctx.method === 'GET' && ctx.path === '/' && !existsSync(indexFile)) {
      ctx.status = 503;
      ctx.type = 'html';
      ctx.body = NOT_BUILT;
    }
  });
  return app;
}
