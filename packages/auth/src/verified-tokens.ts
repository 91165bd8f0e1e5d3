/**
 * Bearer tokens already verified, so a client that sends the same token on
 * every request (the usual case) pays for one signature check and one claims
 * parse, not one per request: on the gateway's hot path those were the
 * largest part of what authentication cost. Verification (`jose`) is async,
 * so this is also what lets `Authenticator.checkNow` answer without a promise.
 *
 * Only tokens that passed every check are kept, keyed by the whole token
 * string (signature included, so a token is only ever matched by itself).
 * Expiry is checked again on every hit. With a JWKS, an entry counts only
 * while the key set it was verified under is current and fresh (a rotated
 * or stale set means checking again, which also triggers the refetch).
 * An entry lives at most `maxAgeMs`, the map
 * holds at most `maxEntries` tokens (oldest dropped first), and a settings
 * change starts a new cache.
 */
import type { Identity } from './identity.ts';

interface Entry {
  identity: Identity;
  /** `exp` claim in seconds, if any. */
  exp: number | undefined;
  /** Milliseconds since the epoch after which the entry is not used. */
  until: number;
  /** The JWKS key-set version it was verified under, if a JWKS is configured. */
  keySet: number | undefined;
}

/** A JWKS the tokens may have been verified against: a new key set or stale keys mean checking again. */
export interface KeySetView {
  readonly version: number;
  readonly freshUntil: number;
}

export const VERIFIED_TOKENS_DEFAULTS = { maxEntries: 4_096, maxAgeMs: 60_000 };

export class VerifiedTokens {
  readonly #entries = new Map<string, Entry>();
  readonly #maxEntries: number;
  readonly #maxAgeMs: number;

  constructor(options: { maxEntries?: number; maxAgeMs?: number } = {}) {
    this.#maxEntries = options.maxEntries ?? VERIFIED_TOKENS_DEFAULTS.maxEntries;
    this.#maxAgeMs = options.maxAgeMs ?? VERIFIED_TOKENS_DEFAULTS.maxAgeMs;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The identity of a token verified earlier that is still within its expiry (plus `skewSeconds`) and this cache's age limit. */
  get(token: string, nowMs: number, skewSeconds: number, keySet?: KeySetView): Identity | undefined {
    const entry = this.#entries.get(token);
    if (entry === undefined) return undefined;
    const keysChanged = keySet !== undefined && (entry.keySet !== keySet.version || nowMs >= keySet.freshUntil);
    if (keysChanged || nowMs >= entry.until || (entry.exp !== undefined && nowMs / 1000 >= entry.exp + skewSeconds)) {
      this.#entries.delete(token);
      return undefined;
    }
    return entry.identity;
  }

  add(token: string, identity: Identity, nowMs: number, keySet?: KeySetView): void {
    const exp = identity.claims.exp;
    this.#entries.delete(token);
    this.#entries.set(token, {
      identity,
      exp: typeof exp === 'number' ? exp : undefined,
      until: nowMs + this.#maxAgeMs,
      keySet: keySet?.version,
    });
    if (this.#entries.size > this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value as string);
  }
}
