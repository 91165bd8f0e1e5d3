/**
 * `/admin/session`: the console logs in with an admin credential (an API key
 * or a JWT) once and then holds an HttpOnly session cookie instead; the
 * credential itself is checked, then forgotten: it is neither stored, nor put
 * in the cookie, nor logged. The answer carries the session's CSRF token,
 * which the console sends back in `x-csrf-token` with every change.
 */
import { FlotillaError, type HttpApp, problemResponses } from '@flotilla/kit';
import type { Authenticator } from '@flotilla/http';
import Type, { type Static } from 'typebox';
import { adminIdentity, CSRF_HEADER, checkOrigin } from './admin-auth.ts';
import { clearedSessionCookie, overTls, SESSION_COOKIE, sessionCookie } from './session-cookie.ts';
import type { ConsoleSession, SessionStore } from './session-store.ts';

const tags = ['admin'];

const LoginBody = Type.Object(
  { credential: Type.String({ minLength: 1, maxLength: 8192, description: 'An API key, or a JWT, holding one of the admin roles' }) },
  { additionalProperties: false },
);

const SessionAnswer = Type.Object({
  subject: Type.String({ description: 'Who logged in: the key id or the token subject; the author of changes made in this session' }),
  roles: Type.Array(Type.String()),
  csrfToken: Type.String({ description: `Send it back in \`${CSRF_HEADER}\` with every request other than GET and HEAD` }),
  expiresAt: Type.String({ format: 'date-time', description: 'When the session ends unless it is used again' }),
});

export interface SessionRoutesOptions {
  authenticator: Authenticator;
  roles(): readonly string[];
  sessions: SessionStore;
  logger: { info(object: object, message: string): void };
}

/** A JWT is three base64url parts; anything else is taken for an API key. */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export function registerSessionRoutes(admin: HttpApp, options: SessionRoutesOptions): void {
  const { sessions } = options;
  const answer = (session: ConsoleSession): Static<typeof SessionAnswer> => ({
    subject: session.subject,
    roles: [...session.roles],
    csrfToken: session.csrfToken,
    expiresAt: new Date(sessions.expiresAt(session)).toISOString(),
  });

  admin.post(
    '/session',
    {
      schema: {
        tags,
        summary: 'Log the console in: an admin credential in, a session cookie and a CSRF token out',
        operationId: 'createAdminSession',
        description: `Sets \`${SESSION_COOKIE}\` (HttpOnly, SameSite=Strict, Path=/, Secure over TLS). Sessions live in this gateway's memory and end after ${minutes(sessions.settings.idleMs)} minutes without a request, ${minutes(sessions.settings.maxAgeMs)} minutes after the login, at logout, or when the \`auth\` config changes.`,
        body: LoginBody,
        response: {
          201: SessionAnswer,
          401: problemResponses(401)[401],
          403: {
            ...problemResponses(403)[403],
            description: 'The request comes from a page of another origin (`reason: origin-mismatch`)',
          },
        },
      },
    },
    async (request, reply) => {
      checkOrigin(request);
      const credential = request.body.credential;
      const headers = JWT_SHAPE.test(credential) ? { authorization: `Bearer ${credential}` } : { 'x-api-key': credential };
      const result = await options.authenticator.check(headers, { required: true, roles: options.roles() });
      if ('problem' in result) {
        // Keys fetched from an identity provider that is down: say so rather than "wrong credential".
        if (result.problem.code === 'unavailable') throw result.problem;
        options.logger.info({ event: { action: 'console-login', outcome: 'failure' } }, 'console login refused');
        throw new FlotillaError('unauthenticated', 'The credential is not valid or holds no admin role');
      }
      const identity = result.identity;
      if (identity === null) throw new FlotillaError('unauthenticated', 'A credential is required');
      const session = sessions.create(identity.subject, identity.roles);
      options.logger.info(
        { event: { action: 'console-login', outcome: 'success' }, user: { id: identity.subject } },
        `console session started for ${identity.subject}`,
      );
      const maxAgeSeconds = Math.floor(sessions.settings.maxAgeMs / 1000);
      return reply
        .code(201)
        .header('set-cookie', sessionCookie(session.id, maxAgeSeconds, overTls(request.protocol, request.headers)))
        .header('cache-control', 'no-store')
        .send(answer(session));
    },
  );

  admin.get(
    '/session',
    {
      schema: {
        tags,
        summary: "The console's session: who is logged in, its CSRF token and when it ends",
        operationId: 'getAdminSession',
        response: { 200: SessionAnswer, ...problemResponses(401, 403) },
      },
    },
    async (request, reply) => {
      const { session } = adminIdentity(request);
      if (session === undefined) throw new FlotillaError('unauthenticated', 'There is no console session on this request');
      return reply.header('cache-control', 'no-store').send(answer(session));
    },
  );

  admin.delete(
    '/session',
    {
      schema: {
        tags,
        summary: 'Log the console out: the session ends and its cookie is cleared',
        operationId: 'deleteAdminSession',
        response: { 204: Type.Null({ description: 'Logged out' }), ...problemResponses(401, 403) },
      },
    },
    async (request, reply) => {
      const { session } = adminIdentity(request);
      if (session !== undefined) {
        sessions.end(session.id);
        options.logger.info(
          { event: { action: 'console-logout' }, user: { id: session.subject } },
          `console session of ${session.subject} ended`,
        );
      }
      return reply
        .code(204)
        .header('set-cookie', clearedSessionCookie(overTls(request.protocol, request.headers)))
        .send(null);
    },
  );
}

function minutes(ms: number): number {
  return Math.round(ms / 60_000);
}
