/**
 * The identity the gateway verified, handed to a service as
 * `x-flotilla-identity: v1.<payload>.<HMAC-SHA256>`. The payload carries the
 * subject, roles and method, a short expiry, and the request it was minted
 * for (HTTP method, request-target as sent upstream, request id), so a header
 * seen in one request cannot be replayed against another path or verb.
 *
 * Why an HMAC header rather than mTLS: mTLS proves which *workload* is
 * calling, not which *user* it calls for, and needs a CA and certificate
 * rotation in every deployment (a laptop `npm start` included). The identity
 * has to travel in the request anyway; signing it makes it trustworthy.
 * Trade-off: every holder of the secret (the gateway and the services that
 * verify) can mint identities, so the secret is a mesh-internal credential —
 * keep it out of anything client-facing and rotate it with `previousSecret`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { HmacSha256 } from './hmac-sha256.ts';
import type { AuthMethod, Identity } from './identity.ts';

export const IDENTITY_HEADER = 'x-flotilla-identity';
const VERSION = 'v1';
const MAX_HEADER_LENGTH = 8_192;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** The request the identity is minted for, as the upstream service will see it. */
export interface IdentityBinding {
  /** HTTP method (`GET`…); `POST` for gRPC. */
  method: string;
  /** The request-target exactly as sent: path and query (`/users/7?expand=orders`), or `/pkg.Service/Method` for gRPC. */
  target: string;
  /** `x-request-id` of that request, when it has one. */
  requestId?: string | undefined;
}

export interface SignIdentityOptions extends IdentityBinding {
  ttlSeconds?: number;
  /** Names of claims to carry along (e.g. `['email']`); none by default, to keep the header small. */
  claims?: readonly string[];
  /** Milliseconds since the epoch; defaults to now. */
  now?: number;
}

export interface VerifyIdentityOptions {
  clockSkewSeconds?: number;
  now?: number;
}

export type IdentityHeaderRejection = 'malformed' | 'bad-signature' | 'expired' | 'wrong-request';
export type IdentityHeaderResult = { ok: true; identity: Identity } | { ok: false; reason: IdentityHeaderRejection };

interface Payload {
  sub: string;
  roles: string[];
  m: AuthMethod;
  iat: number;
  exp: number;
  mth: string;
  tgt: string;
  rid?: string;
  cl?: Record<string, unknown>;
}

/** An HMAC secret: the string from config, or the same prepared once as an HmacSha256 (much cheaper per call). */
export type IdentitySecret = string | HmacSha256;

export function signIdentity(identity: Identity, secret: IdentitySecret, options: SignIdentityOptions): string {
  return signBoundIdentity(
    identity,
    secret,
    options.method,
    options.target,
    options.requestId,
    options.ttlSeconds ?? 30,
    options.now ?? Date.now(),
    options.claims,
  );
}

/** signIdentity with its options as arguments: the gateway calls it once per proxied request. */
export function signBoundIdentity(
  identity: Identity,
  secret: IdentitySecret,
  method: string,
  target: string,
  requestId: string | undefined,
  ttlSeconds: number,
  nowMs: number,
  claims?: readonly string[],
): string {
  const iat = Math.floor(nowMs / 1000);
  const rid = requestId === undefined ? '' : `,"rid":${jsonString(requestId)}`;
  const json = `${identityPart(identity, claims)},"iat":${iat},"exp":${iat + ttlSeconds},"mth":${jsonString(method.toUpperCase())},"tgt":${jsonString(target)}${rid}}`;
  const body = `${VERSION}.${Buffer.from(json, 'utf8').toString('base64url')}`;
  return `${body}.${typeof secret === 'string' ? mac(secret, body).toString('base64url') : secret.digestBase64url(body)}`;
}

/** JSON.stringify of a string, without its call when nothing needs escaping (methods, paths and request ids rarely do). */
function jsonString(value: string): string {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x22 || code === 0x5c || (code >= 0xd800 && code <= 0xdfff)) return JSON.stringify(value);
  }
  return `"${value}"`;
}

/** The identity's own fields, serialised once per identity object (a cached token's identity is reused across requests). */
const identityParts = new WeakMap<Identity, string>();

/** `{"sub":…,"roles":…,"m":…[,"cl":…]` without the closing brace. */
function identityPart(identity: Identity, claims: readonly string[] | undefined): string {
  const carriesClaims = claims !== undefined && claims.length > 0;
  if (!carriesClaims) {
    const cached = identityParts.get(identity);
    if (cached !== undefined) return cached;
  }
  const part: Pick<Payload, 'sub' | 'roles' | 'm' | 'cl'> = {
    sub: identity.subject,
    roles: [...identity.roles],
    m: identity.method,
  };
  if (carriesClaims) {
    const picked: Record<string, unknown> = {};
    for (const name of claims) if (identity.claims[name] !== undefined) picked[name] = identity.claims[name];
    part.cl = picked;
  }
  const json = JSON.stringify(part).slice(0, -1);
  if (!carriesClaims) identityParts.set(identity, json);
  return json;
}

/** Checks signature (any of `secrets`), expiry and binding; never throws. */
export function verifyIdentityHeader(
  value: string,
  secrets: readonly IdentitySecret[],
  binding: IdentityBinding,
  options: VerifyIdentityOptions = {},
): IdentityHeaderResult {
  if (value.length > MAX_HEADER_LENGTH) return { ok: false, reason: 'malformed' };
  const parts = value.split('.');
  if (parts.length !== 3 || parts[0] !== VERSION) return { ok: false, reason: 'malformed' };
  const body = `${parts[0]}.${parts[1]}`;
  const signature = Buffer.from(parts[2] as string, 'base64url');
  const valid = secrets.some((secret) => {
    const expected = mac(secret, body);
    return signature.length === expected.length && timingSafeEqual(signature, expected);
  });
  if (!valid) return { ok: false, reason: 'bad-signature' };

  const payload = decodeJsonObject(parts[1] as string);
  if (payload === undefined || !isPayload(payload)) return { ok: false, reason: 'malformed' };
  const now = (options.now ?? Date.now()) / 1000;
  const skew = options.clockSkewSeconds ?? 5;
  if (now >= payload.exp + skew || now + skew < payload.iat) return { ok: false, reason: 'expired' };
  if (payload.mth !== binding.method.toUpperCase() || payload.tgt !== binding.target) return { ok: false, reason: 'wrong-request' };
  if (payload.rid !== undefined && payload.rid !== binding.requestId) return { ok: false, reason: 'wrong-request' };
  return {
    ok: true,
    identity: { subject: payload.sub, roles: payload.roles, method: payload.m, claims: payload.cl ?? {} },
  };
}

/** A canonical base64url segment holding a JSON object, or undefined. */
function decodeJsonObject(segment: string): Record<string, unknown> | undefined {
  if (!BASE64URL.test(segment)) return undefined;
  const bytes = Buffer.from(segment, 'base64url');
  if (bytes.toString('base64url') !== segment) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function mac(secret: IdentitySecret, body: string): Buffer {
  return typeof secret === 'string' ? createHmac('sha256', secret).update(body).digest() : secret.digest(body);
}

function isPayload(p: Record<string, unknown>): p is Record<string, unknown> & Payload {
  return (
    typeof p.sub === 'string' &&
    Array.isArray(p.roles) &&
    p.roles.every((r) => typeof r === 'string') &&
    (p.m === 'jwt' || p.m === 'apiKey') &&
    typeof p.iat === 'number' &&
    typeof p.exp === 'number' &&
    typeof p.mth === 'string' &&
    typeof p.tgt === 'string' &&
    (p.rid === undefined || typeof p.rid === 'string') &&
    (p.cl === undefined || (p.cl !== null && typeof p.cl === 'object' && !Array.isArray(p.cl)))
  );
}
