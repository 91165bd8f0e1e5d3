/**
 * Finding the credential in a request's headers: `Authorization: Bearer <jwt>`,
 * `Authorization: ApiKey <key>` or `x-api-key: <key>`. Other schemes (Basic…)
 * are not ours and count as no credential. Sending a token and a key at once
 * is refused rather than guessing which one the client meant.
 */

/** Node's `IncomingHttpHeaders`, Fastify's `request.headers`, or a plain object with lower-case names. */
import type { HeaderBag } from '@flotilla/core';

export type { HeaderBag };

export type Credential = { kind: 'none' } | { kind: 'bearer'; token: string } | { kind: 'apiKey'; key: string } | { kind: 'ambiguous' };

export const API_KEY_HEADER = 'x-api-key';

const SCHEME = /^([A-Za-z][A-Za-z0-9._~+-]*)(?:[ \t]+(.*))?$/s;

export function readCredential(headers: HeaderBag): Credential {
  const authorization = single(headers.authorization);
  const headerKey = single(headers[API_KEY_HEADER]);
  if (authorization === null || headerKey === null) return { kind: 'ambiguous' };
  let fromAuthorization: Credential = { kind: 'none' };
  if (authorization !== undefined && isPlainBearer(authorization)) {
    fromAuthorization = { kind: 'bearer', token: authorization.slice(BEARER_PREFIX.length) };
  } else if (authorization !== undefined) {
    const match = SCHEME.exec(authorization.trim());
    const scheme = match?.[1]?.toLowerCase();
    const value = (match?.[2] ?? '').trim();
    if (scheme === 'bearer') fromAuthorization = { kind: 'bearer', token: value };
    else if (scheme === 'apikey') fromAuthorization = { kind: 'apiKey', key: value };
  }
  if (headerKey === undefined) return fromAuthorization;
  if (fromAuthorization.kind !== 'none') return { kind: 'ambiguous' };
  return { kind: 'apiKey', key: headerKey.trim() };
}

const BEARER_PREFIX = 'Bearer ';

/** `Bearer <token>` with one space and nothing to trim: what the scheme parsing would give, without the regular expression (every proxied request with a token comes here). */
function isPlainBearer(authorization: string): boolean {
  if (!authorization.startsWith(BEARER_PREFIX) || authorization.length === BEARER_PREFIX.length) return false;
  const token = authorization.slice(BEARER_PREFIX.length);
  return token.trim() === token;
}

/** One value, undefined when absent, null when repeated with different values. */
function single(value: string | readonly string[] | undefined): string | undefined | null {
  if (value === undefined || typeof value === 'string') return value;
  if (value.length === 0) return undefined;
  return value.every((v) => v === value[0]) ? value[0] : null;
}
