/**
 * The console's session cookie: `flotilla_console=<session id>`, HttpOnly
 * (scripts never see it), SameSite=Strict (no other site's page sends it),
 * Path=/admin (only the admin API needs it: the routes the gateway proxies
 * never see it) and Secure when the console is reached over TLS.
 */
import type { IncomingHttpHeaders } from 'node:http';

export const SESSION_COOKIE = 'flotilla_console';

/** The session id the request's `Cookie` header carries, if any. */
export function sessionIdFrom(headers: IncomingHttpHeaders): string | undefined {
  const header = headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const separator = part.indexOf('=');
    if (separator === -1 || part.slice(0, separator).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(separator + 1).trim();
    return value === '' ? undefined : value;
  }
  return undefined;
}

/** Whether the client reached this gateway over TLS (directly, or through a proxy that says so). */
export function overTls(protocol: string, headers: IncomingHttpHeaders): boolean {
  if (protocol === 'https') return true;
  const forwarded = headers['x-forwarded-proto'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim().toLowerCase();
  return first === 'https';
}

export function sessionCookie(id: string, maxAgeSeconds: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/admin; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`;
}

export function clearedSessionCookie(secure: boolean): string {
  return sessionCookie('', 0, secure);
}
