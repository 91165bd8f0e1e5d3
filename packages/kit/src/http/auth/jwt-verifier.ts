/**
 * JWT verification, in an order that never trusts unverified content: decode
 * strictly → refuse `alg: none` and any algorithm not configured → pick keys
 * that fit the algorithm (HS256: the shared secret only) → check the
 * signature → only then read and check the claims (exp/nbf with clock skew,
 * iss, aud, sub).
 */
import type { Identity } from './identity.ts';
import type { JwksCache } from './jwks.ts';
import { decodeJsonObject, decodeJws } from './jws.ts';
import { isAsymmetric, keyFits, verifySignature, type VerificationKey } from './jwt-keys.ts';
import type { JwtAlgorithm, JwtSettings } from './settings.ts';

export type JwtRejection =
  | 'malformed'
  | 'alg-none'
  | 'alg-not-allowed'
  | 'unknown-key'
  | 'bad-signature'
  | 'expired'
  | 'not-yet-valid'
  | 'no-expiry'
  | 'wrong-issuer'
  | 'wrong-audience'
  | 'no-subject'
  | 'keys-unavailable';

export type JwtResult = { ok: true; identity: Identity } | { ok: false; reason: JwtRejection };

/** Settings turned into what verification needs (built and checked by compile-settings.ts). */
export interface JwtVerifierConfig {
  settings: JwtSettings;
  issuers: readonly string[];
  audiences: readonly string[];
  /** HS256 secrets, current first. */
  secrets: readonly string[];
  staticKeys: readonly VerificationKey[];
  jwks: JwksCache | undefined;
}

/** `clock` gives milliseconds since the epoch, read after any key fetch. */
export async function verifyJwt(token: string, config: JwtVerifierConfig, clock: () => number): Promise<JwtResult> {
  const jws = decodeJws(token);
  if (jws === undefined) return { ok: false, reason: 'malformed' };
  const alg = jws.header.alg;
  if (alg.toLowerCase() === 'none') return { ok: false, reason: 'alg-none' };
  if (!(config.settings.algorithms as readonly string[]).includes(alg)) return { ok: false, reason: 'alg-not-allowed' };

  const signed = await checkSignature(alg as JwtAlgorithm, jws.header.kid, jws.signingInput, jws.signature, config);
  if (signed !== true) return { ok: false, reason: signed };

  const claims = decodeJsonObject(jws.payloadSegment);
  if (claims === undefined) return { ok: false, reason: 'malformed' };
  const rejection = checkClaims(claims, config, clock() / 1000);
  if (rejection !== undefined) return { ok: false, reason: rejection };
  return {
    ok: true,
    identity: {
      subject: claims.sub as string,
      roles: rolesFrom(claims, config.settings.rolesClaim),
      method: 'jwt',
      claims,
    },
  };
}

async function checkSignature(
  alg: JwtAlgorithm,
  kid: string | undefined,
  input: string,
  signature: Buffer,
  config: JwtVerifierConfig,
): Promise<true | JwtRejection> {
  if (signature.length === 0) return 'bad-signature';
  if (alg === 'HS256') {
    if (config.secrets.length === 0) return 'unknown-key';
    return config.secrets.some((secret) => verifySignature(alg, input, signature, secret)) ? true : 'bad-signature';
  }
  if (!isAsymmetric(alg)) return 'alg-not-allowed';
  // Static keys first: they cost no fetch. A static key without a kid serves any kid.
  const statics = config.staticKeys.filter((k) => (k.kid === undefined || k.kid === kid) && keyFits(k, alg));
  if (statics.some((k) => verifySignature(alg, input, signature, k.key))) return true;
  if (config.jwks === undefined) return statics.length === 0 ? 'unknown-key' : 'bad-signature';

  const fetched = await config.jwks.candidates(kid);
  if (fetched === 'unavailable') return statics.length === 0 ? 'keys-unavailable' : 'bad-signature';
  const fitting = fetched.filter((k) => keyFits(k, alg));
  if (fitting.some((k) => verifySignature(alg, input, signature, k.key))) return true;
  return statics.length === 0 && fitting.length === 0 ? 'unknown-key' : 'bad-signature';
}

function checkClaims(claims: Record<string, unknown>, config: JwtVerifierConfig, now: number): JwtRejection | undefined {
  const skew = config.settings.clockSkewSeconds;
  const { exp, nbf, iss, aud, sub } = claims;
  if (exp === undefined) {
    if (config.settings.requireExpiry) return 'no-expiry';
  } else if (typeof exp !== 'number' || !Number.isFinite(exp)) return 'malformed';
  else if (now >= exp + skew) return 'expired';
  if (nbf !== undefined) {
    if (typeof nbf !== 'number' || !Number.isFinite(nbf)) return 'malformed';
    if (now + skew < nbf) return 'not-yet-valid';
  }
  if (typeof iss !== 'string' || !config.issuers.includes(iss)) return 'wrong-issuer';
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  if (!audiences.some((a) => typeof a === 'string' && config.audiences.includes(a))) return 'wrong-audience';
  if (typeof sub !== 'string' || sub === '') return 'no-subject';
  return undefined;
}

/** Roles from a dotted claim path: an array of strings or a space-separated string (OAuth `scope`). */
export function rolesFrom(claims: Record<string, unknown>, path: string): string[] {
  let node: unknown = claims;
  for (const segment of path.split('.')) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return [];
    node = (node as Record<string, unknown>)[segment];
  }
  if (typeof node === 'string') return node.split(/\s+/).filter((r) => r !== '');
  if (Array.isArray(node)) return node.filter((r): r is string => typeof r === 'string' && r !== '');
  return [];
}
