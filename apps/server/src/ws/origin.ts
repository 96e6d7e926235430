/**
 * The Origin check done before the WebSocket handshake (docs/protocol.md,
 * Transport). Browsers always send Origin; a missing one is a non-browser
 * client, which cannot be the victim of cross-site WebSocket hijacking.
 */
import type { IncomingMessage } from 'node:http';

/**
 * `scheme` is how the browser reached this server: `https:` behind TLS (here
 * or at a trusted proxy), else `http:`. The page this server served has that
 * scheme: `https://host` is another origin than `http://host`.
 */
export function isOriginAllowed(
  req: IncomingMessage,
  allowedOrigins: readonly string[],
  scheme: 'http:' | 'https:',
): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // "null" and other opaque origins
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  // Same scheme, host and port as the request: the page this server served.
  const host = req.headers.host;
  if (host !== undefined && url.protocol === scheme && url.host === normaliseHost(host, url.protocol))
    return true;
  return allowedOrigins.includes(url.origin);
}

/** `new URL` drops default ports; do the same to the Host header. */
function normaliseHost(host: string, protocol: string): string {
  try {
    return new URL(`${protocol}//${host}`).host;
  } catch {
    return '';
  }
}
