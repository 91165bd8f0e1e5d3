/**
 * Who may call `/admin/*`, checked once per request before any admin route
 * runs. Two ways in:
 *
 * - a header credential (`Authorization: Bearer <JWT>`, `x-api-key`), the
 *   CLI's and scripts' way, checked by the gateway's authenticator against
 *   `admin.roles` on every request; no CSRF token, since a browser page of
 *   another site cannot send such headers without a preflight;
 * - the console's session cookie: the session must be live and its roles
 *   must still include one of `admin.roles`; when the request carries an
 *   `Origin`, it must be this gateway's; and every request other than GET and
 *   HEAD must carry the session's token in `x-csrf-token`.
 *
 * A header credential wins when both are sent. `POST /admin/session` (the
 * login) is the one admin route without either: its body carries the credential.
 */
import { FlotillaError } from '@flotilla/kit';
import type { Authenticator } from '@flotilla/http';
import type { IncomingHttpHeaders } from 'node:http';
import { isOwnOrigin } from './request-origin.ts';
import { clearedSessionCookie, overTls, sessionIdFrom } from './session-cookie.ts';
import { type ConsoleSession, sameToken, type SessionStore } from './session-store.ts';

export const CSRF_HEADER = 'x-csrf-token';

/** What the admin checks read of a Fastify request. */
export interface AdminRequest {
  readonly method: string;
  readonly url: string;
  readonly protocol: string;
  readonly headers: IncomingHttpHeaders;
  readonly routeOptions: { readonly url?: string | undefined };
}

export interface AdminReply {
  header(name: string, value: string): unknown;
}

export interface AdminIdentity {
  subject: string;
  roles: readonly string[];
  via: 'session' | 'credential';
  /** Set when `via` is `session`. */
  session?: ConsoleSession;
}

export interface AdminAuthOptions {
  authenticator: Authenticator;
  /** The roles that may use the admin API now (`admin.roles`, reloaded live). */
  roles(): readonly string[];
  sessions: SessionStore;
}

const identities = new WeakMap<AdminRequest, AdminIdentity>();

/** Who made this admin request; set by the admin hook before any admin route runs. */
export function adminIdentity(request: AdminRequest): AdminIdentity {
  const identity = identities.get(request);
  if (identity === undefined) throw new Error(`no admin identity for ${request.method} ${request.url}: the admin hook did not run`);
  return identity;
}

export function isLogin(request: AdminRequest): boolean {
  return request.method === 'POST' && request.routeOptions.url === '/admin/session';
}

/** A 403 saying why (`reason`), under the kit's `forbidden` type. */
export function refusal(reason: 'csrf-token-mismatch' | 'origin-mismatch', message: string): FlotillaError {
  return new FlotillaError('forbidden', message, { details: { reason } });
}

/** Refuses a browser request from another origin: what every cookie-carrying admin request and the login check first. */
export function checkOrigin(request: AdminRequest): void {
  const origin = request.headers.origin;
  if (origin !== undefined && !isOwnOrigin(origin, request.protocol, request.headers))
    throw refusal('origin-mismatch', 'The request comes from a page of another origin');
}

export function adminAuthHook(options: AdminAuthOptions): (request: AdminRequest, reply: AdminReply) => Promise<void> {
  return async (request, reply) => {
    if (isLogin(request)) return;
    const headers = request.headers;
    const sessionId = sessionIdFrom(headers);
    if (headers.authorization !== undefined || headers['x-api-key'] !== undefined || sessionId === undefined) {
      const result = await options.authenticator.check(headers, { required: true, roles: options.roles() });
      if ('problem' in result) {
        if (result.wwwAuthenticate !== undefined) reply.header('www-authenticate', result.wwwAuthenticate);
        throw result.problem;
      }
      const identity = result.identity;
      if (identity !== null) identities.set(request, { subject: identity.subject, roles: identity.roles, via: 'credential' });
      return;
    }
    checkOrigin(request);
    const session = options.sessions.peek(sessionId);
    if (session === undefined) {
      reply.header('set-cookie', clearedSessionCookie(overTls(request.protocol, headers)));
      throw new FlotillaError('unauthenticated', 'The console session has expired or ended: log in again');
    }
    const roles = options.roles();
    if (!session.roles.some((role) => roles.includes(role)))
      throw new FlotillaError('forbidden', 'The session lacks a role the admin API requires');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      const presented = headers[CSRF_HEADER];
      if (!sameToken(session.csrfToken, typeof presented === 'string' ? presented : undefined))
        throw refusal('csrf-token-mismatch', `A change made with the console session needs its token in ${CSRF_HEADER}`);
    }
    options.sessions.touch(sessionId);
    identities.set(request, { subject: session.subject, roles: session.roles, via: 'session', session });
  };
}
