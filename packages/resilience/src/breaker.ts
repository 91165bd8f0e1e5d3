/**
 * AdaptiveBreaker: client-side adaptive throttling from Google's SRE book
 * ("Handling Overload"), per upstream. Over a sliding window it counts
 * `requests` (calls the application made, including those rejected here) and
 * `accepts` (calls the upstream answered without failing), and rejects each
 * new call locally with probability
 *
 *     p = max(0, (requests − K × accepts) / (requests + 1))
 *
 * K = 2 by default: it starts rejecting once more than half the calls fail;
 * K = 1.5 is more aggressive. Nothing is rejected below `minRequests` in the
 * window. p stays below 1, so a few calls always probe the upstream: there is
 * no half-open state to manage, recovery lowers p by itself.
 *
 * Calls are counted when they end, not when they start, so a burst of slow
 * calls in flight is not mistaken for failures.
 *
 * Displayed state (and the `flotilla_breaker_state` gauge):
 *   closed (0)     p = 0
 *   throttling (1) 0 < p < openAt (default 0.9)
 *   open (2)       p ≥ openAt
 */
import type { Logger } from 'pino';
import { FlotillaError } from '@flotilla/core';
import type { MetricsRegistry } from '@flotilla/telemetry';
import { isUpstreamFailure } from './classify.ts';
import { systemClock, systemRandom, type Clock, type RandomSource } from './clock.ts';
import { breakerInstruments, type BreakerInstruments } from './metrics.ts';
import {
  executionContext,
  invoke,
  type ExecuteOptions,
  type ExecutionContext,
  type Operation,
  type PolicyStep,
  type SteppedPolicy,
} from './policy.ts';
import { SlidingCounts } from './sliding-window.ts';

export type BreakerState = 'closed' | 'throttling' | 'open';

const STATE_VALUE: Record<BreakerState, number> = { closed: 0, throttling: 1, open: 2 };

export interface BreakerSettings {
  /** Accepts multiplier in the formula. Default 2. */
  k: number;
  /** Default 10 000 (in 10 buckets). */
  windowMs: number;
  /** Calls needed in the window before anything is rejected. Default 20. */
  minRequests: number;
  /** Rejection probability from which the state reads "open". Default 0.9. */
  openAt: number;
}

export const BREAKER_DEFAULTS: BreakerSettings = { k: 2, windowMs: 10_000, minRequests: 20, openAt: 0.9 };

export interface BreakerStatus {
  upstream: string;
  state: BreakerState;
  /** Share of calls rejected now. */
  probability: number;
  /** Why it is in this state, in words (also in logs and state-change events). */
  reason: string;
  /** Since when (epoch ms) it has been in this state. */
  since: number;
  requests: number;
  accepts: number;
  /** Calls rejected here (part of `requests`). */
  rejections: number;
  settings: BreakerSettings;
}

export interface BreakerStateChange {
  upstream: string;
  from: BreakerState;
  to: BreakerState;
  probability: number;
  reason: string;
  at: number;
}

export interface BreakerRejection {
  upstream: string;
  probability: number;
  reason: string;
}

export interface AdaptiveBreakerOptions extends Partial<BreakerSettings> {
  upstream: string;
  /** Which errors mean the upstream did not accept the call. Default isUpstreamFailure. */
  isFailure?: (error: unknown) => boolean;
  /** Called for every rejected call (logging, a partial answer elsewhere…). */
  onReject?: (rejection: BreakerRejection) => void;
  metrics?: MetricsRegistry | undefined;
  logger?: Logger | undefined;
  clock?: Clock;
  random?: RandomSource;
}

type Counter = 'requests' | 'accepts' | 'rejections';
const COUNTERS: readonly Counter[] = ['requests', 'accepts', 'rejections'];
const BUCKETS = 10;

/** The breakers registered on each MetricsRegistry, refreshed when it is scraped. */
const breakersByRegistry = new WeakMap<MetricsRegistry, Set<AdaptiveBreaker>>();

export class AdaptiveBreaker implements SteppedPolicy {
  readonly upstream: string;
  #settings: BreakerSettings;
  #counts: SlidingCounts<Counter>;
  #state: BreakerState = 'closed';
  #since: number;
  #probability = 0;
  readonly #listeners = new Set<(change: BreakerStateChange) => void>();
  readonly #options: AdaptiveBreakerOptions;
  readonly #clock: Clock;
  readonly #random: RandomSource;
  readonly #isFailure: (error: unknown) => boolean;
  readonly #instruments: BreakerInstruments | undefined;

  constructor(options: AdaptiveBreakerOptions) {
    this.upstream = options.upstream;
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? systemRandom;
    this.#isFailure = options.isFailure ?? isUpstreamFailure;
    this.#settings = { ...BREAKER_DEFAULTS, ...definedOnly(options) };
    this.#counts = this.#window();
    this.#since = this.#clock.now();
    const registry = options.metrics;
    if (registry !== undefined) {
      let breakers = breakersByRegistry.get(registry);
      if (breakers === undefined) {
        breakers = new Set();
        breakersByRegistry.set(registry, breakers);
      }
      breakers.add(this);
      // A quiet upstream's window drains without calls: re-evaluate at scrape time.
      this.#instruments = breakerInstruments(registry, () => {
        for (const breaker of breakersByRegistry.get(registry) ?? []) breaker.refresh();
      });
      this.#instruments.state.set({ upstream: this.upstream }, 0);
      this.#instruments.probability.set({ upstream: this.upstream }, 0);
    }
  }

  get state(): BreakerState {
    return this.refresh();
  }

  /** Changes K, window, volume or threshold; counts survive unless the window's size changes. */
  configure(settings: Partial<BreakerSettings>): void {
    const next = { ...this.#settings, ...definedOnly(settings) };
    if (next.windowMs !== this.#settings.windowMs) this.#counts = this.#window(next.windowMs);
    this.#settings = next;
    this.refresh();
  }

  /** Calls `listener` on every state change; returns the unsubscribe function. */
  onStateChange(listener: (change: BreakerStateChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  execute<T>(fn: Operation<T>, options?: ExecuteOptions<T>): Promise<T> {
    const context = executionContext(options);
    const rejection = this.admit();
    if (rejection !== undefined) return rejectedCall<T>(rejection, context);
    return invoke(fn, context).then(
      (value) => {
        this.recordResult(value, context);
        return value;
      },
      (error: unknown) => {
        this.recordError(error, context);
        throw error;
      },
    );
  }

  /** For `wrap()`: admitted or refused before the call, the outcome recorded after it. */
  readonly step: PolicyStep = {
    enter: (context) => {
      const rejection = this.admit();
      return rejection === undefined ? undefined : { error: rejection, answer: rejectedCall(rejection, context) };
    },
    leave: (context, outcome) => {
      if (outcome.ok) this.recordResult(outcome.value, context);
      else this.recordError(outcome.error, context);
    },
  };

  /**
   * Decides whether a call may go ahead: undefined when it may (its outcome
   * must then be recorded with `recordResult` or `recordError`), else the
   * `circuit-open` error it is rejected with (counted, logged, metered).
   * The synchronous half of `execute`, for a guard that composes the steps itself.
   */
  admit(): FlotillaError | undefined {
    this.refresh();
    if (this.#probability === 0 || this.#random() >= this.#probability) return undefined;
    // The reason is the one the decision was taken on, before this rejection is counted.
    const rejection = { upstream: this.upstream, probability: this.#probability, reason: this.#reason() };
    this.#counts.add('requests');
    this.#counts.add('rejections');
    this.#instruments?.rejections.inc({ upstream: this.upstream });
    this.#options.onReject?.(rejection);
    return new FlotillaError('circuit-open', `Circuit to ${this.upstream} is ${this.#state}: ${rejection.reason}`, {
      details: { upstream: this.upstream, reason: rejection.reason },
    });
  }

  /** Counts an admitted call that returned `value` (a failure if the context's `failureOf` says so). */
  recordResult(value: unknown, context: ExecutionContext): void {
    const failure = context.failureOf?.(value);
    this.#record(failure === undefined || !this.#isFailure(failure));
  }

  /** Counts an admitted call that threw; one its caller gave up on says nothing about the upstream and is not counted. */
  recordError(error: unknown, context: ExecutionContext): void {
    if (!(context.cancellation.aborted && !context.deadline.expired())) this.#record(!this.#isFailure(error));
  }

  /** Re-evaluates p and the state at the current time (emitting a change if there is one). */
  refresh(): BreakerState {
    const requests = this.#counts.count('requests');
    const { k, minRequests, openAt } = this.#settings;
    const probability = requests < minRequests ? 0 : Math.max(0, (requests - k * this.#counts.count('accepts')) / (requests + 1));
    if (probability !== this.#probability) {
      this.#probability = probability;
      this.#instruments?.probability.set({ upstream: this.upstream }, probability);
    }
    const state: BreakerState = probability === 0 ? 'closed' : probability >= openAt ? 'open' : 'throttling';
    if (state !== this.#state) this.#transition(state);
    return state;
  }

  status(): BreakerStatus {
    const state = this.refresh();
    const { requests, accepts, rejections } = this.#counts.totals();
    return {
      upstream: this.upstream,
      state,
      probability: this.#probability,
      reason: this.#reason(),
      since: this.#since,
      requests,
      accepts,
      rejections,
      settings: { ...this.#settings },
    };
  }

  /** Stops reporting this breaker (its upstream was removed from the config). */
  dispose(): void {
    const registry = this.#options.metrics;
    if (registry !== undefined) breakersByRegistry.get(registry)?.delete(this);
    this.#instruments?.state.remove({ upstream: this.upstream });
    this.#instruments?.probability.remove({ upstream: this.upstream });
    this.#listeners.clear();
  }

  #record(accepted: boolean): void {
    this.#counts.add('requests');
    if (accepted) this.#counts.add('accepts');
    this.refresh();
  }

  #transition(to: BreakerState): void {
    const change: BreakerStateChange = {
      upstream: this.upstream,
      from: this.#state,
      to,
      probability: this.#probability,
      reason: this.#reason(),
      at: this.#clock.now(),
    };
    this.#state = to;
    this.#since = change.at;
    this.#instruments?.state.set({ upstream: this.upstream }, STATE_VALUE[to]);
    const log = { upstream: this.upstream, breaker: { from: change.from, to, probability: round(change.probability) } };
    if (to === 'closed') this.#options.logger?.info(log, `circuit to ${this.upstream} closed: ${change.reason}`);
    else this.#options.logger?.warn(log, `circuit to ${this.upstream} ${to === 'open' ? 'opened' : 'throttling'}: ${change.reason}`);
    for (const listener of this.#listeners) listener(change);
  }

  #reason(): string {
    const { requests, accepts, rejections } = this.#counts.totals();
    const { k, minRequests, windowMs } = this.#settings;
    const seconds = `${round(windowMs / 1_000)} s`;
    if (requests < minRequests) return `${requests} requests in the last ${seconds}, fewer than the ${minRequests} needed to judge`;
    const failed = requests - accepts - rejections;
    const errorRatio = (requests - accepts) / requests;
    if (this.#probability === 0)
      return `${accepts} of ${requests} requests accepted over ${seconds} (error ratio ${errorRatio.toFixed(2)}, below what K=${k} tolerates)`;
    return `error ratio ${errorRatio.toFixed(2)} over ${seconds}, ${requests} requests (${failed} failed upstream, ${rejections} rejected here); rejecting ${Math.round(this.#probability * 100)} % (K=${k})`;
  }

  #window(windowMs = this.#settings.windowMs): SlidingCounts<Counter> {
    return new SlidingCounts(COUNTERS, { windowMs, buckets: BUCKETS, clock: this.#clock });
  }
}

/** What a call the breaker rejected answers: the context's fallback (partial results), else the rejection. */
export function rejectedCall<T>(rejection: FlotillaError, context: ExecutionContext): Promise<T> {
  const fallback = context.fallback;
  return fallback === undefined ? Promise.reject(rejection) : new Promise<T>((resolve) => resolve(fallback(rejection) as T));
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

function definedOnly(settings: Partial<BreakerSettings>): Partial<BreakerSettings> {
  const out: Partial<BreakerSettings> = {};
  for (const key of ['k', 'windowMs', 'minRequests', 'openAt'] as const) {
    const value = settings[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}
