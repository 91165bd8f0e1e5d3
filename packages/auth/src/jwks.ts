/**
 * A JWKS endpoint's keys, cached, and handed to `jose` as a local key set
 * (which picks the keys that fit a token's kid and algorithm). The lifetime
 * follows the response's `Cache-Control: max-age`, clamped to
 * [minCacheSeconds, cacheSeconds]. An
 * expired cache keeps serving while one background refetch runs, and stale
 * keys are kept when a refetch fails, so an identity provider blip does not
 * log everybody out. A `kid` not in the cache triggers a refetch (key
 * rotation), but at most one fetch per `refetchCooldownSeconds` and never two
 * at once: a flood of made-up `kid`s costs the endpoint one request.
 */
import { createLocalJWKSet, type JWK, type JWTVerifyGetKey } from 'jose';
import { redactUrlPassword } from '@flotilla/config';
import { importJwk, publicJwk } from './jwt-keys.ts';
import type { JwksSettings } from './settings.ts';
import type { AuthLogger } from './logger.ts';

const MAX_JWKS_BYTES = 1_048_576;
const MAX_KEYS = 100;

export interface JwksStats {
  fetches: number;
  failures: number;
  keys: number;
  /** When the cache turns stale (ms since the epoch); 0 before the first successful fetch. */
  expiresAt: number;
}

export class JwksCache {
  readonly settings: JwksSettings;
  private readonly clock: () => number;
  private readonly logger: AuthLogger | undefined;
  /** The usable keys of the last successful fetch, and jose's key set over them. */
  private keys: JWK[] = [];
  private joseKeySet: JWTVerifyGetKey = createLocalJWKSet({ keys: [] });
  private loaded = false;
  private expiresAt = 0;
  private lastFetchAt = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<void> | undefined;
  private fetches = 0;
  private failures = 0;
  private keySetVersion = 0;

  constructor(settings: JwksSettings, clock: () => number, logger: AuthLogger | undefined) {
    this.settings = settings;
    this.clock = clock;
    this.logger = logger;
  }

  /**
   * The key set to verify a token with this `kid` against, refetched first
   * when no key has that kid (at most once per cooldown). 'unavailable' when the
   * endpoint has never answered usefully.
   */
  async keySet(kid: string | undefined): Promise<JWTVerifyGetKey | 'unavailable'> {
    if (!this.loaded) {
      if (this.mayFetch()) await this.refresh();
      else if (this.inFlight !== undefined) await this.inFlight;
      if (!this.loaded) return 'unavailable';
    } else if (this.clock() >= this.expiresAt && this.mayFetch()) {
      void this.refresh(); // stale-while-revalidate: this request uses what is cached
    }
    if (kid !== undefined && !this.keys.some((k) => k.kid === kid)) {
      if (this.mayFetch()) await this.refresh();
      else if (this.inFlight !== undefined) await this.inFlight;
    }
    return this.joseKeySet;
  }

  /** Changes whenever a fetch replaces the key set (tokens verified before may no longer verify). */
  get version(): number {
    return this.keySetVersion;
  }

  /** Until when (ms since the epoch) the cached keys count as fresh. */
  get freshUntil(): number {
    return this.expiresAt;
  }

  stats(): JwksStats {
    return { fetches: this.fetches, failures: this.failures, keys: this.keys.length, expiresAt: this.expiresAt };
  }

  private mayFetch(): boolean {
    return this.inFlight === undefined && this.clock() - this.lastFetchAt >= this.settings.refetchCooldownSeconds * 1000;
  }

  private refresh(): Promise<void> {
    this.inFlight ??= this.fetchOnce().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async fetchOnce(): Promise<void> {
    this.lastFetchAt = this.clock();
    this.fetches++;
    const where = redactUrlPassword(this.settings.url);
    try {
      const response = await fetch(this.settings.url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(this.settings.timeoutMs),
      });
      if (response.status !== 200) {
        await response.body?.cancel();
        throw new Error(`status ${response.status}`);
      }
      if (Number(response.headers.get('content-length') ?? 0) > MAX_JWKS_BYTES) throw new Error('response too large');
      const text = await response.text();
      if (text.length > MAX_JWKS_BYTES) throw new Error('response too large');
      const keys = this.parse(JSON.parse(text) as unknown);
      this.keys = keys;
      this.joseKeySet = createLocalJWKSet({ keys });
      this.keySetVersion++;
      this.loaded = true;
      this.expiresAt = this.clock() + this.lifetimeSeconds(response.headers.get('cache-control')) * 1000;
      this.logger?.debug(
        { event: { action: 'jwks-fetched' }, url: { full: where }, labels: { keys: keys.length } },
        `JWKS ${where}: ${keys.length} usable key(s)`,
      );
    } catch (error) {
      this.failures++;
      const reason = error instanceof Error ? error.message : String(error);
      this.logger?.warn(
        { event: { action: 'jwks-fetch-failed', outcome: 'failure', reason }, url: { full: where } },
        `JWKS ${where} could not be fetched (${reason}); ${this.loaded ? 'keeping the cached keys' : 'tokens signed by its keys are refused until it answers'}`,
      );
    }
  }

  /** The keys we verify with, reduced to their public members; the rest are left out. */
  private parse(document: unknown): JWK[] {
    const list = (document as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(list)) throw new Error('not a JWK set (no "keys" array)');
    const keys: JWK[] = [];
    for (const jwk of list.slice(0, MAX_KEYS)) {
      if (jwk === null || typeof jwk !== 'object') continue;
      try {
        keys.push(publicJwk(importJwk(jwk as Record<string, unknown>)));
      } catch {
        // Keys for encryption, other algorithms or curves are legitimately published alongside ours.
      }
    }
    return keys;
  }

  private lifetimeSeconds(cacheControl: string | null): number {
    const { cacheSeconds, minCacheSeconds } = this.settings;
    let seconds = cacheSeconds;
    if (cacheControl !== null) {
      const maxAge = /(?:^|[,\s])max-age=(\d+)/i.exec(cacheControl);
      if (/(?:^|[,\s])(?:no-store|no-cache)(?:[,\s=]|$)/i.test(cacheControl)) seconds = minCacheSeconds;
      else if (maxAge !== null) seconds = Number(maxAge[1]);
    }
    return Math.min(cacheSeconds, Math.max(minCacheSeconds, seconds));
  }
}
