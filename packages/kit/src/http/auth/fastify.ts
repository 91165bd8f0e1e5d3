/**
 * Auth for a Fastify service: a route opts in with
 * `config: { auth: { roles: ['admin'] } }` (or `{ required: false }` to
 * merely learn who is calling) and its handler finds `request.identity`.
 * The hook runs at `onRequest`, so a refused request's body is never read.
 *
 * A valid gateway identity header is trusted as is (no second JWT check);
 * otherwise the request's own bearer token or API key is verified, so a
 * service also works when called directly.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { HttpApp } from '../server.ts';
import type { Authenticator } from './authenticator.ts';
import type { AuthFailure, Identity } from './identity.ts';
import type { RouteAuthRule } from './settings.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling, on routes with `config.auth`; null when anonymous. */
    identity: Identity | null;
  }
  interface FastifyContextConfig {
    auth?: RouteAuthRule;
  }
}

export interface RegisterAuthOptions {
  authenticator: Authenticator;
  /** Accept `x-flotilla-identity` from the gateway (default true; only effective with `identityHeader` configured). */
  trustIdentityHeader?: boolean;
}

export function registerAuth(app: HttpApp | FastifyInstance, options: RegisterAuthOptions): void {
  const { authenticator } = options;
  const trustIdentityHeader = options.trustIdentityHeader ?? true;
  const instance = app as FastifyInstance;
  instance.decorateRequest('identity', null);
  instance.addHook('onRequest', async (request, reply) => {
    const rule = request.routeOptions.config.auth;
    if (rule === undefined) return;
    let identity = trustIdentityHeader
      ? authenticator.readIdentityHeader(request.headers, { method: request.method, target: request.url })
      : null;
    if (identity === null) {
      const result = await authenticator.authenticate(request.headers);
      if ('problem' in result) return refuse(reply, result);
      identity = result.identity;
    }
    const denied = authenticator.authorize(identity, rule);
    if (denied !== undefined) return refuse(reply, denied);
    request.identity = identity;
  });
}

/** Throws into the kit's error handler, which writes the problem+json; the challenge rides along. */
function refuse(reply: FastifyReply, failure: AuthFailure): never {
  if (failure.wwwAuthenticate !== undefined) reply.header('www-authenticate', failure.wwwAuthenticate);
  throw failure.problem;
}
