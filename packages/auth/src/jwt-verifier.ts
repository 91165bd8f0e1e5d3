/**
 * JWT verification on `jose`, in an order that never trusts unverified
 * content: read the header → refuse `alg: none` and any algorithm not
 * configured → pick keys that fit the algorithm (HS256: the shared secrets
 * only; RS256/ES256: static keys, then the JWKS) → `jwtVerify` checks the
 * signature and only then the claims (exp/nbf with clock skew, iss, aud,
 * presence of sub). jose's errors become the rejections callers know.
 */
import type { KeyObject } from 'node:crypto';
import { decodeProtectedHeader, errors, jwtVerify, type CryptoKey, type JWTPayload, type JWTVerifyOptions } from 'jose';
import type { Identity } from './identity.ts';
import type { JwksCache } from './jwks.ts';
import { isAsymmetric, keyFits, type VerificationKey } from './jwt-keys.ts';
import type { AsymmetricAlgorithm, JwtSettings } from './settings.ts';

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
  /** HS256 secrets as keys, current first. */
  secrets: readonly KeyObject[];
  staticKeys: readonly VerificationKey[];
  jwks: JwksCache | undefined;
}

/** Far above any real access token, far below what could cost real CPU. */
const MAX_TOKEN_LENGTH = 16_384;

/** A signature that verified (with the claims jose checked), a refusal, or `no-key`: nothing fitted. */
type Attempt = { ok: true; claims: JWTPayload } | { ok: false; reason: JwtRejection | 'no-key' };

/** `clock` gives milliseconds since the epoch, read after any key fetch. */
export async function verifyJwt(token: string, config: JwtVerifierConfig, clock: () => number): Promise<JwtResult> {
  const header = readHeader(token);
  if (header === undefined) return { ok: false, reason: 'malformed' };
  const { alg, kid } = header;
  if (alg.toLowerCase() === 'none') return { ok: false, reason: 'alg-none' };
  if (!(config.settings.algorithms as readonly string[]).includes(alg)) return { ok: false, reason: 'alg-not-allowed' };

  const options = (): JWTVerifyOptions => ({
    algorithms: [alg],
    issuer: [...config.issuers],
    audience: [...config.audiences],
    clockTolerance: config.settings.clockSkewSeconds,
    requiredClaims: config.settings.requireExpiry ? ['sub', 'exp'] : ['sub'],
    currentDate: new Date(clock()),
  });
  let attempt: Attempt;
  if (alg === 'HS256') attempt = await firstThatVerifies(token, config.secrets, options);
  else if (isAsymmetric(alg)) attempt = await withPublicKeys(token, alg, kid, config, options);
  else return { ok: false, reason: 'alg-not-allowed' };

  if (!attempt.ok) return { ok: false, reason: attempt.reason === 'no-key' ? 'unknown-key' : attempt.reason };
  const claims = attempt.claims as Record<string, unknown>;
  if (typeof claims.sub !== 'string' || claims.sub === '') return { ok: false, reason: 'no-subject' };
  return {
    ok: true,
    identity: { subject: claims.sub, roles: rolesFrom(claims, config.settings.rolesClaim), method: 'jwt', claims },
  };
}

/** The protected header's `alg` and `kid`; undefined when the token cannot be a JWS we would verify. */
function readHeader(token: string): { alg: string; kid: string | undefined } | undefined {
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return undefined;
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    return undefined;
  }
  const { alg, kid } = header;
  if (typeof alg !== 'string') return undefined;
  if (kid !== undefined && (typeof kid !== 'string' || kid.length === 0 || kid.length > 256)) return undefined;
  return { alg, kid };
}

/** Static keys first (they cost no fetch; one without a kid serves any kid), then the JWKS. */
async function withPublicKeys(
  token: string,
  alg: AsymmetricAlgorithm,
  kid: string | undefined,
  config: JwtVerifierConfig,
  options: () => JWTVerifyOptions,
): Promise<Attempt> {
  const statics = config.staticKeys.filter((k) => (k.kid === undefined || k.kid === kid) && keyFits(k, alg)).map((k) => k.key);
  const fromStatics = await firstThatVerifies(token, statics, options);
  if (fromStatics.ok || (fromStatics.reason !== 'bad-signature' && fromStatics.reason !== 'no-key')) return fromStatics;
  const jwks = config.jwks;
  if (jwks === undefined) return fromStatics;

  const keySet = await jwks.keySet(kid);
  if (keySet === 'unavailable') return { ok: false, reason: statics.length === 0 ? 'keys-unavailable' : 'bad-signature' };
  let fromJwks: Attempt;
  try {
    fromJwks = { ok: true, claims: (await jwtVerify(token, keySet, options())).payload };
  } catch (error) {
    if (error instanceof errors.JWKSMultipleMatchingKeys) fromJwks = await firstThatVerifies(token, error, options);
    else fromJwks = { ok: false, reason: error instanceof errors.JWKSNoMatchingKey ? 'no-key' : rejectionOf(error) };
  }
  if (!fromJwks.ok && fromJwks.reason === 'no-key' && statics.length > 0) return { ok: false, reason: 'bad-signature' };
  return fromJwks;
}

/** Tries each key until one verifies the signature; claims are then checked against that one only. */
async function firstThatVerifies(
  token: string,
  keys: Iterable<KeyObject> | AsyncIterable<CryptoKey>,
  options: () => JWTVerifyOptions,
): Promise<Attempt> {
  let tried = false;
  for await (const key of keys) {
    tried = true;
    try {
      return { ok: true, claims: (await jwtVerify(token, key, options())).payload };
    } catch (error) {
      const reason = rejectionOf(error);
      if (reason !== 'bad-signature') return { ok: false, reason };
    }
  }
  return { ok: false, reason: tried ? 'bad-signature' : 'no-key' };
}

/** jose's error as a rejection. Anything unexpected refuses the token as unverified rather than failing the request. */
function rejectionOf(error: unknown): JwtRejection {
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'invalid') return 'malformed'; // a date claim that is not a number
    switch (error.claim) {
      case 'exp':
        return 'no-expiry'; // missing: a past exp is JWTExpired
      case 'nbf':
        return 'not-yet-valid';
      case 'iss':
        return 'wrong-issuer';
      case 'aud':
        return 'wrong-audience';
      case 'sub':
        return 'no-subject';
      default:
        return 'malformed';
    }
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return 'alg-not-allowed';
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid || error instanceof errors.JOSENotSupported)
    return 'malformed';
  return 'bad-signature';
}

/** Roles from a dotted claim path: an array of strings or a space-separated string (OAuth `scope`). */
function rolesFrom(claims: Record<string, unknown>, path: string): string[] {
  let node: unknown = claims;
  for (const segment of path.split('.')) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return [];
    node = (node as Record<string, unknown>)[segment];
  }
  if (typeof node === 'string') return node.split(/\s+/).filter((r) => r !== '');
  if (Array.isArray(node)) return node.filter((r): r is string => typeof r === 'string' && r !== '');
  return [];
}
