/**
 * Auth for a Fastify service: a route opts in with
 * `config: { auth: { roles: ['admin'] } }` (or `{ required: false }` to
 * merely learn who is calling) and its handler finds `request.identity`.
 * It is the authentication step of the app's admission pipeline, so a
 * refused request's body is never read.
 *
 * A valid gateway identity header is trusted as is (no second JWT check);
 * otherwise the request's own bearer token or API key is verified, so a
 * service also works when called directly.
 */
import type { FastifyInstance } from 'fastify';
import { admissionOf } from '@flotilla/pipeline';
import { authenticateStep } from '@flotilla/pipeline';
import type { HttpApp } from './server.ts';
import type { Authenticator } from '@flotilla/auth';

export interface RegisterAuthOptions {
  authenticator: Authenticator;
  /** Accept `x-flotilla-identity` from the gateway (default true; only effective with `identityHeader` configured). */
  trustIdentityHeader?: boolean;
}

export function registerAuth(app: HttpApp | FastifyInstance, options: RegisterAuthOptions): void {
  admissionOf(app).use(authenticateStep(options.authenticator, { trustIdentityHeader: options.trustIdentityHeader ?? true }));
}
