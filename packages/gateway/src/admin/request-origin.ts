/**
 * Whether a browser request comes from a page of this gateway: its `Origin`
 * names the scheme and host the request was sent to. Another site's page
 * cannot forge `Origin`, nor add `X-Forwarded-Proto` without a CORS preflight
 * the gateway never grants, so trusting that header for the scheme (behind a
 * TLS-terminating proxy) lets no other origin in.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { overTls } from './session-cookie.ts';

export function isOwnOrigin(origin: string, protocol: string, headers: IncomingHttpHeaders): boolean {
  const host = headers.host;
  if (host === undefined) return false;
  const scheme = overTls(protocol, headers) ? 'https:' : 'http:';
  try {
    const claimed = new URL(origin);
    const own = new URL(`${scheme}//${host}`);
    return claimed.protocol === own.protocol && claimed.host === own.host && origin.replace(/\/$/, '') === claimed.origin;
  } catch {
    return false; // `null` (a sandboxed frame, a redirect across sites) or garbage
  }
}
