// How long a failed item waits before it is retried: the larger of a per-item exponential
// backoff and an overall token bucket (the same defaults as client-go's controllers:
// 5 ms doubling to 1000 s per item; 10 retries/s with a burst of 100 overall).
import { BackoffPolicy, type BucketShape, type BucketState, fullBucket, reserveTokens } from '@flotilla/core';

export interface RateLimiter {
  /** delay in ms before `key` may be processed again */
  when(key: string): number;
  forget(key: string): void;
  retries(key: string): number;
}

export class ItemExponentialRateLimiter implements RateLimiter {
  private readonly backoff: BackoffPolicy;
  private readonly failures = new Map<string, number>();
  constructor(baseMs = 5, maxMs = 1_000_000) {
    // No jitter, as in client-go: the overall token bucket spaces retries out.
    this.backoff = new BackoffPolicy({ initialMs: baseMs, maxMs, jitter: 'none' });
  }

  when(key: string): number {
    const count = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, count);
    return this.backoff.delayMs(count);
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }
}

export class TokenBucketRateLimiter implements RateLimiter {
  private readonly shape: BucketShape;
  private readonly bucket: BucketState;
  private readonly now: () => number;
  constructor(perSecond = 10, burst = 100, now = () => Date.now()) {
    this.shape = { capacity: burst, refillPerMs: perSecond / 1_000 };
    this.now = now;
    this.bucket = fullBucket(this.shape, now());
  }

  /** Reserves a token; returns how long to wait until it is available. */
  when(): number {
    return reserveTokens(this.bucket, this.now(), this.shape, 1);
  }

  forget(): void {}

  retries(): number {
    return 0;
  }
}

export class MaxOfRateLimiter implements RateLimiter {
  private readonly limiters: RateLimiter[];
  constructor(...limiters: RateLimiter[]) {
    this.limiters = limiters;
  }

  when(key: string): number {
    return Math.max(...this.limiters.map((limiter) => limiter.when(key)));
  }

  forget(key: string): void {
    for (const limiter of this.limiters) limiter.forget(key);
  }

  retries(key: string): number {
    return Math.max(...this.limiters.map((limiter) => limiter.retries(key)));
  }
}

export function defaultControllerRateLimiter(): RateLimiter {
  return new MaxOfRateLimiter(new ItemExponentialRateLimiter(5, 1_000_000), new TokenBucketRateLimiter(10, 100));
}
