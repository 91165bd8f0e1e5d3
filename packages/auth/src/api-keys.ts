/**
 * API keys, stored as `sha256:<hex>` of the key. A generated key carries 256
 * random bits, so a plain SHA-256 is enough: there is nothing to brute-force,
 * and a slow KDF (scrypt, ~50 ms) on every request would be a CPU gift to
 * attackers. Every configured hash is compared in constant time, with no
 * early exit, so timing says nothing about which (or whether a) key matched.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKeySettings } from './settings.ts';

/** Prefix of generated keys: recognisable in a leak scanner, harmless otherwise. */
export const API_KEY_PREFIX = 'flk_';
const MIN_KEY_LENGTH = 20;
const MAX_KEY_LENGTH = 512;

/** The config form of a key: `sha256:<64 hex>`. Refuses keys too short to be secret. */
export function hashApiKey(key: string): string {
  if (key.length < MIN_KEY_LENGTH) throw new RangeError(`an API key needs at least ${MIN_KEY_LENGTH} characters (use generateApiKey())`);
  if (key.length > MAX_KEY_LENGTH) throw new RangeError(`an API key may have at most ${MAX_KEY_LENGTH} characters`);
  return `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

/** A new random key (shown once to its owner) and the hash to put in config. */
export function generateApiKey(): { key: string; hash: string } {
  const key = API_KEY_PREFIX + randomBytes(32).toString('base64url');
  return { key, hash: hashApiKey(key) };
}

export type ApiKeyResult = { ok: true; entry: ApiKeySettings } | { ok: false; reason: 'unknown' | 'revoked' };

export class ApiKeyVerifier {
  private readonly digests: Array<{ digest: Buffer; entry: ApiKeySettings }>;

  constructor(entries: readonly ApiKeySettings[]) {
    this.digests = entries.map((entry) => ({ digest: Buffer.from(entry.hash.slice('sha256:'.length), 'hex'), entry }));
  }

  get size(): number {
    return this.digests.length;
  }

  verify(key: string): ApiKeyResult {
    if (key.length === 0 || key.length > MAX_KEY_LENGTH) return { ok: false, reason: 'unknown' };
    const digest = createHash('sha256').update(key).digest();
    let found: ApiKeySettings | undefined;
    for (const candidate of this.digests) {
      if (timingSafeEqual(digest, candidate.digest)) found = candidate.entry;
    }
    if (found === undefined) return { ok: false, reason: 'unknown' };
    return found.revoked ? { ok: false, reason: 'revoked' } : { ok: true, entry: found };
  }
}
