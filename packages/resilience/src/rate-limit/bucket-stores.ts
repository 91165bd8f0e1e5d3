/**
 * Where buckets live, and what decides when that place is unreachable.
 *
 * `local`: this process only. `redis`: shared; when a Redis call fails or
 * times out, decisions skip Redis for `recheckMs` and `onStoreFailure`
 * decides meanwhile — in-process buckets (`local`), a refusal (`reject`) or
 * no limit (`allow`). The switch to the fallback and back is logged once
 * per transition and shown by `flotilla_rate_limit_store_fallback`.
 *
 * Note: with `local` fallback each gateway instance enforces the whole limit
 * on its own, so N instances let up to N times the limit through until Redis
 * is back.
 */
import type { Logger } from 'pino';
import { redactUrlPassword } from '@flotilla/config';
import { LocalBucketStore } from './local-store.ts';
import type { RateLimitMetrics } from './metrics.ts';
import { RedisBucketStore } from './redis-store.ts';
import type { RateLimitStoreSettings } from './settings.ts';
import type { BucketResult, BucketShape } from './token-bucket.ts';

export type BucketSource = 'local' | 'redis' | 'fallback';

export type StoreAnswer =
  | { kind: 'bucket'; result: BucketResult; source: BucketSource }
  /** The shared store is unreachable and `onStoreFailure` is allow or reject. */
  | { kind: 'unavailable'; verdict: 'allow' | 'reject'; retryAfterMs: number };

export interface BucketStoresStatus {
  kind: 'local' | 'redis';
  /** Redis address with any password masked. */
  url?: string;
  /** True while the fallback decides instead of Redis. */
  fallingBack: boolean;
  onStoreFailure: RateLimitStoreSettings['onStoreFailure'];
  lastError?: string;
}

export type RateLimitLogger = Pick<Logger, 'info' | 'warn'>;

export class BucketStores {
  #settings: RateLimitStoreSettings;
  readonly #local: LocalBucketStore;
  #redis: RedisBucketStore | undefined;
  #skipRedisUntil = 0;
  #fallingBack = false;
  #lastError: string | undefined;
  readonly #logger: RateLimitLogger | undefined;
  readonly #metrics: RateLimitMetrics | undefined;

  constructor(settings: RateLimitStoreSettings, options: { logger?: RateLimitLogger | undefined; metrics?: RateLimitMetrics | undefined }) {
    this.#settings = settings;
    this.#logger = options.logger;
    this.#metrics = options.metrics;
    this.#local = new LocalBucketStore({ maxBuckets: settings.maxLocalBuckets });
    this.#redis = openRedis(settings);
  }

  /** The answer right away when no shared store is configured (in-process buckets); undefined when `take` must ask Redis. */
  takeNow(key: string, shape: BucketShape): StoreAnswer | undefined {
    if (this.#redis !== undefined) return undefined;
    return { kind: 'bucket', result: this.#local.take(key, shape), source: 'local' };
  }

  async take(key: string, shape: BucketShape): Promise<StoreAnswer> {
    const redis = this.#redis;
    if (redis === undefined) return { kind: 'bucket', result: this.#local.take(key, shape), source: 'local' };
    if (performance.now() >= this.#skipRedisUntil) {
      try {
        const result = await redis.take(key, shape);
        if (this.#fallingBack && redis === this.#redis) this.#recovered();
        return { kind: 'bucket', result, source: 'redis' };
      } catch (error) {
        if (redis === this.#redis) this.#failed(error as Error);
      }
    }
    switch (this.#settings.onStoreFailure) {
      case 'local':
        return { kind: 'bucket', result: this.#local.take(key, shape), source: 'fallback' };
      case 'allow':
        return { kind: 'unavailable', verdict: 'allow', retryAfterMs: 0 };
      case 'reject':
        return { kind: 'unavailable', verdict: 'reject', retryAfterMs: this.#settings.recheckMs };
    }
  }

  /** Applies new store settings; a new Redis address or prefix opens a new connection. */
  async reconfigure(settings: RateLimitStoreSettings): Promise<void> {
    const previous = this.#settings;
    this.#settings = settings;
    this.#local.maxBuckets = settings.maxLocalBuckets;
    const sameRedis =
      previous.kind === settings.kind &&
      previous.url === settings.url &&
      previous.prefix === settings.prefix &&
      previous.timeoutMs === settings.timeoutMs;
    if (sameRedis) return;
    const old = this.#redis;
    this.#redis = openRedis(settings);
    this.#local.clear();
    this.#skipRedisUntil = 0;
    if (this.#fallingBack) this.#setFallingBack(false);
    await old?.close();
  }

  status(): BucketStoresStatus {
    const { kind, url, onStoreFailure } = this.#settings;
    return {
      kind,
      ...(kind === 'redis' && url !== undefined ? { url: redactUrlPassword(url) } : {}),
      fallingBack: this.#fallingBack,
      onStoreFailure,
      ...(this.#lastError === undefined ? {} : { lastError: this.#lastError }),
    };
  }

  async close(): Promise<void> {
    await this.#redis?.close();
    this.#redis = undefined;
  }

  #failed(error: Error): void {
    this.#metrics?.storeError();
    this.#skipRedisUntil = performance.now() + this.#settings.recheckMs;
    this.#lastError = error.message;
    if (this.#fallingBack) return;
    this.#setFallingBack(true);
    const where = redactUrlPassword(this.#settings.url ?? '');
    const mode = { local: 'in-process limits', reject: 'rejecting limited requests', allow: 'no limits' }[this.#settings.onStoreFailure];
    this.#logger?.warn(
      {
        event: { action: 'rate-limit-store-unavailable', outcome: 'failure' },
        error: { message: error.message },
        labels: { store: where, on_store_failure: this.#settings.onStoreFailure },
      },
      `rate-limit store ${where} is unreachable (${error.message}); deciding with ${mode} until it is back`,
    );
  }

  #recovered(): void {
    this.#setFallingBack(false);
    this.#lastError = undefined;
    this.#local.clear();
    const where = redactUrlPassword(this.#settings.url ?? '');
    this.#logger?.info(
      { event: { action: 'rate-limit-store-recovered', outcome: 'success' }, labels: { store: where } },
      `rate-limit store ${where} is reachable again; shared limits apply`,
    );
  }

  #setFallingBack(active: boolean): void {
    this.#fallingBack = active;
    this.#metrics?.fallingBack(active);
  }
}

function openRedis(settings: RateLimitStoreSettings): RedisBucketStore | undefined {
  if (settings.kind !== 'redis' || settings.url === undefined) return undefined;
  return new RedisBucketStore({ url: settings.url, prefix: settings.prefix, timeoutMs: settings.timeoutMs });
}
