/**
 * Headers every response carries, and the Content-Security-Policy of HTML
 * pages: scripts only from this origin (no inline script, no eval), and
 * WebSocket connections only to this server's own endpoint.
 */
import type { Middleware } from 'koa';

function contentSecurityPolicy(host: string | undefined): string {
  const connect = ["'self'"];
  // CSP Level 2 browsers do not let 'self' match ws: URLs; name them.
  if (host && /^[A-Za-z0-9.[\]:-]+$/.test(host)) connect.push(`ws://${host}`, `wss://${host}`);
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src ${connect.join(' ')}`,
    "worker-src 'self'",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function securityHeaders(): Middleware {
  return async (ctx, next) => {
    await next();
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
    if (ctx.response.is('html')) ctx.set('Content-Security-Policy', contentSecurityPolicy(ctx.host));
  };
}
