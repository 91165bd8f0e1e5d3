/**
 * Public verification keys and which algorithm each may verify. The rule
 * that stops algorithm confusion lives here: a key's type decides the
 * algorithms it can serve (RSA ≥ 2048 bits → RS256, P-256 → ES256), and
 * HS256 never uses a key from this file — only the configured shared secret.
 * The signatures themselves are checked by `jose` (jwt-verifier.ts).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import type { AsymmetricAlgorithm } from './settings.ts';

export interface VerificationKey {
  kid: string | undefined;
  /** The algorithm the key was published for, when it says so. */
  alg: AsymmetricAlgorithm | undefined;
  key: KeyObject;
}

const ASYMMETRIC: readonly string[] = ['RS256', 'ES256'];

export function isAsymmetric(alg: string): alg is AsymmetricAlgorithm {
  return ASYMMETRIC.includes(alg);
}

export function keyFits(candidate: VerificationKey, alg: AsymmetricAlgorithm): boolean {
  if (candidate.alg !== undefined && candidate.alg !== alg) return false;
  const key = candidate.key;
  if (alg === 'RS256') return key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048;
  return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
}

/** Which algorithm a key can serve at all; undefined for keys we cannot use (RSA-PSS, other curves, short RSA). */
export function algorithmFor(key: KeyObject): AsymmetricAlgorithm | undefined {
  for (const alg of ['RS256', 'ES256'] as const) if (keyFits({ kid: undefined, alg: undefined, key }, alg)) return alg;
  return undefined;
}

/** A public JWK; throws with a reason when it is not one we can verify with. */
export function importJwk(jwk: Record<string, unknown>): VerificationKey {
  if (jwk.kty !== 'RSA' && jwk.kty !== 'EC') throw new Error(`kty ${JSON.stringify(jwk.kty)} is not RSA or EC (HS256 uses jwt.secret)`);
  if (jwk.use !== undefined && jwk.use !== 'sig') throw new Error(`use ${JSON.stringify(jwk.use)} is not "sig"`);
  if (jwk.alg !== undefined && (typeof jwk.alg !== 'string' || !isAsymmetric(jwk.alg)))
    throw new Error(`alg ${JSON.stringify(jwk.alg)} is not RS256 or ES256`);
  if (jwk.kid !== undefined && (typeof jwk.kid !== 'string' || jwk.kid === '')) throw new Error('kid must be a non-empty string');
  // Only the public members: a JWK carrying private parts still yields just its public key.
  const members = jwk.kty === 'RSA' ? { kty: 'RSA', n: jwk.n, e: jwk.e } : { kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y };
  const key = createPublicKey({ key: members as never, format: 'jwk' });
  const usable = algorithmFor(key);
  if (usable === undefined) throw new Error('is neither an RSA key of at least 2048 bits nor a P-256 key');
  const alg = jwk.alg as AsymmetricAlgorithm | undefined;
  if (alg !== undefined && alg !== usable) throw new Error(`says alg ${alg} but is a key for ${usable}`);
  return { kid: jwk.kid as string | undefined, alg, key };
}

/** An SPKI public key or X.509 certificate in PEM. */
export function importPem(pem: string): KeyObject {
  if (pem.includes('PRIVATE KEY')) throw new Error('is a private key; configure the public key only');
  return createPublicKey(pem);
}

/** The key as a public JWK for `jose`'s key sets: its public members, its kid and the algorithm it was published for. */
export function publicJwk(key: VerificationKey): JWK {
  const jwk: JWK = key.key.export({ format: 'jwk' });
  if (key.kid !== undefined) jwk.kid = key.kid;
  if (key.alg !== undefined) jwk.alg = key.alg;
  return jwk;
}
