/**
 * RetryPolicy: tries an idempotent call again after a retryable failure,
 * with exponential backoff and full jitter (a random wait in
 * [0, min(maxDelay, base × 2^(n-1)))), within a RetryBudget, and never past
 * the deadline: it neither sleeps past it nor starts an attempt that would
 * have less than `minAttemptMs` left. A call not marked idempotent runs once.
 * Each attempt gets its number (`context.attempt`) so the caller can pick
 * another instance for it.
 */
import { BackoffPolicy } from '@flotilla/core';
import type { Logger } from 'pino';
import type { MetricsRegistry } from '@flotilla/telemetry';
import { isRetryableError } from './classify.ts';
import { sleep as realSleep, systemRandom, type RandomSource } from './clock.ts';
import { retryInstruments, type RetryInstruments } from './metrics.ts';
import {
  deriveContext,
  executionContext,
  invoke,
  type ExecuteOptions,
  type ExecutionContext,
  type Operation,
  type Policy,
} from './policy.ts';
import type { RetryBudget } from './retry-budget.ts';

export interface RetrySettings {
  /** Attempts in all, the first included. Default 3. */
  maxAttempts: number;
  /** Backoff before the first retry is drawn from [0, baseDelayMs). Default 50. */
  baseDelayMs: number;
  /** Upper bound of the backoff. Default 1000. */
  maxDelayMs: number;
  /** An attempt is not started with less time than this left before the deadline. Default 10. */
  minAttemptMs: number;
}

export const RETRY_DEFAULTS: RetrySettings = { maxAttempts: 3, baseDelayMs: 50, maxDelayMs: 1_000, minAttemptMs: 10 };

/** Why a failed call was not tried again. */
export type RetryStop = 'not-retryable' | 'attempts' | 'cancelled' | 'deadline' | 'budget';

export interface RetryEvent {
  upstream: string;
  /** The attempt about to be made (2 = first retry). */
  attempt: number;
  delayMs: number;
  error: unknown;
}

export interface RetryPolicyOptions extends Partial<RetrySettings> {
  upstream?: string;
  /** Which failures to retry. Default isRetryableError (unavailable, bad-gateway, connection errors). */
  retryable?: (error: unknown) => boolean;
  budget?: RetryBudget | undefined;
  metrics?: MetricsRegistry | undefined;
  logger?: Logger | undefined;
  onRetry?: (event: RetryEvent) => void;
  onGiveUp?: (event: { upstream: string; attempt: number; reason: RetryStop; error: unknown }) => void;
  random?: RandomSource;
  /** Injectable for tests; must reject with the signal's reason when it fires. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export class RetryPolicy implements Policy {
  readonly upstream: string;
  #settings: RetrySettings;
  #budget: RetryBudget | undefined;
  readonly #options: RetryPolicyOptions;
  readonly #retryable: (error: unknown) => boolean;
  readonly #random: RandomSource;
  #backoff: BackoffPolicy;
  readonly #sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly #instruments: RetryInstruments | undefined;

  constructor(options: RetryPolicyOptions = {}) {
    this.upstream = options.upstream ?? 'default';
    this.#options = options;
    this.#settings = { ...RETRY_DEFAULTS, ...definedOnly(options) };
    this.#budget = options.budget;
    this.#retryable = options.retryable ?? isRetryableError;
    this.#random = options.random ?? systemRandom;
    this.#backoff = this.#backoffPolicy();
    this.#sleep = options.sleep ?? ((ms, signal) => realSleep(ms, signal));
    this.#instruments = options.metrics === undefined ? undefined : retryInstruments(options.metrics);
  }

  get settings(): Readonly<RetrySettings> {
    return this.#settings;
  }

  configure(settings: Partial<RetrySettings>, budget?: RetryBudget): void {
    this.#settings = { ...this.#settings, ...definedOnly(settings) };
    this.#backoff = this.#backoffPolicy();
    if (budget !== undefined) this.#budget = budget;
  }

  /** The wait before attempt `attempt` (≥ 2): full jitter over the exponential step. */
  backoffMs(attempt: number): number {
    return this.#backoff.delayMs(attempt - 1);
  }

  #backoffPolicy(): BackoffPolicy {
    return new BackoffPolicy({
      initialMs: this.#settings.baseDelayMs,
      maxMs: this.#settings.maxDelayMs,
      jitter: 'full',
      random: this.#random,
    });
  }

  execute<T>(fn: Operation<T>, options?: ExecuteOptions<T>): Promise<T> {
    const context = executionContext(options);
    this.#budget?.recordRequest();
    if (!context.idempotent || this.#settings.maxAttempts <= 1) return invoke(fn, context);
    return this.#attempt(fn, context, 1);
  }

  /** One attempt, and what follows it: its value, another attempt after a backoff, or the failure. */
  #attempt<T>(fn: Operation<T>, context: ExecutionContext, attempt: number): Promise<T> {
    return invoke(fn, attempt === 1 ? context : deriveContext(context, { attempt })).then(
      (value) => {
        const failure = context.failureOf?.(value);
        if (failure === undefined) {
          if (attempt > 1) this.#instruments?.retries.inc({ upstream: this.upstream, outcome: 'success' });
          return value;
        }
        return this.#afterFailure(fn, context, attempt, failure, { value });
      },
      (error: unknown) => this.#afterFailure(fn, context, attempt, error, undefined),
    );
  }

  /** After a failed attempt: retries after the backoff, or gives up with the failure (or the value that stood for it). */
  #afterFailure<T>(
    fn: Operation<T>,
    context: ExecutionContext,
    attempt: number,
    failure: unknown,
    result: { value: T } | undefined,
  ): Promise<T> {
    if (attempt > 1) this.#instruments?.retries.inc({ upstream: this.upstream, outcome: 'failure' });
    const next = attempt + 1;
    const delayMs = this.backoffMs(next);
    const stop = this.#stopReason(failure, next, delayMs, context);
    if (stop !== undefined) {
      this.#options.onGiveUp?.({ upstream: this.upstream, attempt, reason: stop, error: failure });
      if (stop === 'budget') {
        this.#instruments?.budgetExhausted.inc({ upstream: this.upstream });
        this.#options.logger?.debug({ upstream: this.upstream, attempt }, `retry budget for ${this.upstream} spent: not retrying`);
      }
      return result === undefined ? Promise.reject(failure) : Promise.resolve(result.value);
    }
    this.#options.onRetry?.({ upstream: this.upstream, attempt: next, delayMs, error: failure });
    this.#options.logger?.debug(
      { upstream: this.upstream, attempt: next, delayMs, err: failure },
      `retrying ${this.upstream} (attempt ${next}) in ${delayMs} ms`,
    );
    return this.#sleep(delayMs, context.signal).then(() => this.#attempt(fn, context, next));
  }

  #stopReason(failure: unknown, next: number, delayMs: number, context: ExecutionContext): RetryStop | undefined {
    if (!this.#retryable(failure)) return 'not-retryable';
    if (next > this.#settings.maxAttempts) return 'attempts';
    if (context.cancellation.aborted) return 'cancelled';
    if (context.deadline.remaining() < delayMs + this.#settings.minAttemptMs) return 'deadline';
    // Last, so a retry refused for another reason spends nothing.
    if (this.#budget !== undefined && !this.#budget.tryAcquire()) return 'budget';
    return undefined;
  }
}

function definedOnly(settings: Partial<RetrySettings>): Partial<RetrySettings> {
  const out: Partial<RetrySettings> = {};
  for (const key of ['maxAttempts', 'baseDelayMs', 'maxDelayMs', 'minAttemptMs'] as const) {
    const value = settings[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}
