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

/** Headers every answer carries, error answers included. */
const ALWAYS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
} as const;

function headersOf(error: Error): Record<string, unknown> {
  const headers = (error as { headers?: unknown }).headers;
  return typeof headers === 'object' && headers !== null ? (headers as Record<string, unknown>) : {};
}

export function securityHeaders(): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      // Koa answers a thrown error (a 403 for `/../x`, say) after removing
      // every header already set, then applies `error.headers`: put them there.
      if (error instanceof Error) Object.assign(error, { headers: { ...headersOf(error), ...ALWAYS } });
      throw error;
    }
    ctx.set(ALWAYS);
    if (ctx.response.is('html')) ctx.set('Content-Security-Policy', contentSecurityPolicy(ctx.host));
  };
}
