/**
 * The HTTP side: health, readiness and metrics routes, and the built web UI.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

import Router from '@koa/router';
import Koa from 'koa';
import conditional from 'koa-conditional-get';
import etag from '@koa/etag';
import serve from 'koa-static';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

import { LogSampler } from '../util/log-sampler.js';
import { securityHeaders } from './security-headers.js';

export interface HttpAppOptions {
  staticDir: string;
  /** Serve `*.map` files; otherwise they are 404 (they hold the whole source). */
  serveSourceMaps: boolean;
  log: Logger;
  registry: Registry;
  /** Resolves when the store and bus answer; rejects (with a reason) when not. */
  ready: () => Promise<void>;
  /** True once the server is shutting down: not ready, whatever the store says. */
  closing: () => boolean;
}

/** Errors that only say the client closed the connection before the answer was sent. */
const CLIENT_GONE = new Set(['ERR_STREAM_PREMATURE_CLOSE', 'ECONNRESET', 'EPIPE', 'ECONNABORTED']);

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
  // Probes that arrive while a check runs share its answer: a flood of
  // probes costs the store one check at a time, and each answer is fresh.
  let checking: Promise<boolean> | undefined;
  const checkReady = (): Promise<boolean> =>
    (checking ??= options
      .ready()
      .then(
        () => true,
        (error: unknown) => {
          const sampled = notReady.take('readyz');
          if (sampled.log) options.log.warn({ err: error, suppressed: sampled.suppressed }, 'not ready');
          return false;
        },
      )
      .finally(() => {
        checking = undefined;
      }));
  router.get('/readyz', async (ctx) => {
    if (!options.closing() && (await checkReady())) {
      ctx.body = { status: 'ready' };
    } else {
      ctx.status = 503;
      ctx.body = { status: 'unavailable' };
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
    // The client went away mid-answer (a closed tab, a cancelled download).
    if (CLIENT_GONE.has(String((error as { code?: unknown }).code))) return;
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
  // A source map holds the whole client source: served only when the operator asks.
  if (!options.serveSourceMaps) {
    app.use(async (ctx, next) => {
      if (ctx.path.toLowerCase().endsWith('.map')) ctx.throw(404);
      await next();
    });
  }
  // A revisit asks whether index.html changed and gets 304 when it did not
  // (koa-etag tags a file by its size and time, so each encoding has its own).
  app.use(conditional());
  app.use(etag());
  // koa-static resolves paths inside `staticDir` only (no `..`, no NUL) and
  // skips dotfiles. The build precompressed the assets (.br, .gz): koa-send
  // picks one by Accept-Encoding. Hashed assets never change under their
  // name and may be cached for a year; everything else (index.html, the
  // service worker, the manifest) is revalidated on every load, so a new
  // version is never hidden behind a stale copy.
  app.use(
    serve(options.staticDir, {
      index: 'index.html',
      hidden: false,
      brotli: true,
      gzip: true,
      setHeaders: (res, file) => {
        res.setHeader('Vary', 'Accept-Encoding');
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
