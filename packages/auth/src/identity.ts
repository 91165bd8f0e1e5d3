/** Who made a request, once authenticated, and what a refusal looks like. */
import type { FlotillaError } from '@flotilla/core';

export type AuthMethod = 'jwt' | 'apiKey';

export interface Identity {
  /** JWT `sub`, or the API key's subject (its id by default). */
  subject: string;
  roles: readonly string[];
  method: AuthMethod;
  /** The verified JWT claims; `{ keyId }` for an API key; the forwarded subset for a gateway identity. */
  claims: Readonly<Record<string, unknown>>;
}

/**
 * A refusal: the problem to answer with (401 unauthenticated, 403 forbidden,
 * 400 bad-request, or 503 unavailable when signing keys cannot be fetched)
 * and the `WWW-Authenticate` value to send with it (always set on a 401).
 */
export interface AuthFailure {
  problem: FlotillaError;
  wwwAuthenticate: string | undefined;
}

export function isAuthFailure(result: object): result is AuthFailure {
  return 'problem' in result;
}

/** Any-of: true when the rule names no roles or the identity holds one of them. */
export function hasAnyRole(identity: Identity, roles: readonly string[]): boolean {
  if (roles.length === 0) return true;
  return roles.some((role) => identity.roles.includes(role));
}
