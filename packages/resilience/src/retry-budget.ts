/**
 * RetryBudget: caps the retries to one upstream so that they cannot multiply
 * an outage. Over a sliding window (default 10 s in 10 buckets), retries may
 * not exceed `ratio` × requests (default 20 %) plus a floor of
 * `minRetriesPerSecond` × the window's seconds (default 1/s, so 10 per
 * window), which lets a quiet upstream still retry its occasional failure.
 * Requests are first attempts only; every retry is counted when it is granted.
 */
import { systemClock, type Clock } from './clock.ts';
import { SlidingCounts } from './sliding-window.ts';

export interface RetryBudgetOptions {
  /** Retries allowed per request in the window (0..1). Default 0.2. */
  ratio?: number;
  /** Retries allowed per second regardless of traffic. Default 1. */
  minRetriesPerSecond?: number;
  /** Default 10 000. */
  windowMs?: number;
  /** Default 10. */
  buckets?: number;
  clock?: Clock;
}

export interface RetryBudgetStatus {
  ratio: number;
  minRetriesPerSecond: number;
  windowMs: number;
  /** First attempts in the window. */
  requests: number;
  /** Retries granted in the window. */
  retries: number;
  /** Retries that would still be granted now. */
  available: number;
}

export const RETRY_BUDGET_DEFAULTS = { ratio: 0.2, minRetriesPerSecond: 1, windowMs: 10_000, buckets: 10 } as const;

export class RetryBudget {
  #ratio: number;
  #minRetriesPerSecond: number;
  #counts: SlidingCounts<'requests' | 'retries'>;
  readonly #clock: Clock;

  constructor(options: RetryBudgetOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#ratio = options.ratio ?? RETRY_BUDGET_DEFAULTS.ratio;
    this.#minRetriesPerSecond = options.minRetriesPerSecond ?? RETRY_BUDGET_DEFAULTS.minRetriesPerSecond;
    this.#counts = this.#window(options);
  }

  /** Changes the limits; the counts are kept unless the window's size changes. */
  configure(options: Omit<RetryBudgetOptions, 'clock'>): void {
    this.#ratio = options.ratio ?? this.#ratio;
    this.#minRetriesPerSecond = options.minRetriesPerSecond ?? this.#minRetriesPerSecond;
    const windowMs = options.windowMs ?? this.#counts.windowMs;
    const buckets = options.buckets ?? this.#counts.buckets;
    if (windowMs !== this.#counts.windowMs || buckets !== this.#counts.buckets) {
      this.#counts = this.#window({ windowMs, buckets });
    }
  }

  /** Counts a first attempt (call it for every request, retried or not). */
  recordRequest(): void {
    this.#counts.add('requests');
  }

  /** Grants one retry and counts it, or refuses (false) when the budget is spent. */
  tryAcquire(): boolean {
    if (this.#counts.count('retries') + 1 > this.#allowance(this.#counts.count('requests'))) return false;
    this.#counts.add('retries');
    return true;
  }

  status(): RetryBudgetStatus {
    const { requests, retries } = this.#counts.totals();
    return {
      ratio: this.#ratio,
      minRetriesPerSecond: this.#minRetriesPerSecond,
      windowMs: this.#counts.windowMs,
      requests,
      retries,
      available: Math.max(0, Math.floor(this.#allowance(requests) - retries)),
    };
  }

  #allowance(requests: number): number {
    return this.#ratio * requests + (this.#minRetriesPerSecond * this.#counts.windowMs) / 1_000;
  }

  #window(options: { windowMs?: number | undefined; buckets?: number | undefined }): SlidingCounts<'requests' | 'retries'> {
    return new SlidingCounts(['requests', 'retries'], {
      windowMs: options.windowMs ?? RETRY_BUDGET_DEFAULTS.windowMs,
      buckets: options.buckets ?? RETRY_BUDGET_DEFAULTS.buckets,
      clock: this.#clock,
    });
  }
}
