/**
 * UpstreamGuard: the policy stack for one upstream, in this order:
 *
 *   deadline → bulkhead → breaker → retry (with budget) → fault → the call
 *
 * - deadline outermost: queueing, backoff and injected delays all spend the
 *   same time the caller gave;
 * - bulkhead outside the breaker: a local "full" is not an upstream failure;
 * - breaker outside retry: it judges the upstream by logical calls (a call
 *   that succeeded on another instance was accepted), while the budget
 *   bounds the extra attempts;
 * - fault innermost: each attempt meets it, as it would meet a real fault,
 *   so retries and the breaker react to injected faults.
 *
 * `configure` swaps settings in place: the breaker's window, the budget's
 * counts and the bulkhead's running calls carry over a hot reload.
 */
import type { Logger } from 'pino';
import type { MetricsRegistry } from '../../observability/metrics/registry.js';
import { AdaptiveBreaker, type BreakerStatus } from '../breaker.js';
import { Bulkhead, type BulkheadStatus } from '../bulkhead.js';
import type { Clock, RandomSource } from '../clock.js';
import { DeadlinePolicy } from '../deadline-policy.js';
import { FaultPolicy } from '../fault/fault-policy.js';
import type { FaultRules } from '../fault/fault-spec.js';
import type { FaultPermission } from '../fault/permission.js';
import type { ExecuteOptions, Operation, Policy } from '../policy.js';
import { RetryBudget, type RetryBudgetStatus } from '../retry-budget.js';
import { RetryPolicy, type RetryEvent, type RetrySettings } from '../retry-policy.js';
import { wrap } from '../wrap.js';
import type { UpstreamPolicy } from './settings.js';

export interface UpstreamGuardOptions {
  metrics?: MetricsRegistry | undefined;
  logger?: Logger | undefined;
  clock?: Clock | undefined;
  random?: RandomSource | undefined;
  /** Called before each retry (tests count them; logs have them at debug). */
  onRetry?: ((event: RetryEvent) => void) | undefined;
}

export interface UpstreamSnapshot {
  timeoutMs: number;
  /** null when the policy is disabled for this upstream. */
  breaker: BreakerStatus | null;
  bulkhead: BulkheadStatus | null;
  retry: (RetrySettings & { budget: RetryBudgetStatus }) | null;
  fault: FaultRules;
}

export class UpstreamGuard implements Policy {
  readonly name: string;
  readonly deadline: DeadlinePolicy;
  readonly bulkhead: Bulkhead;
  readonly breaker: AdaptiveBreaker;
  readonly budget: RetryBudget;
  readonly retry: RetryPolicy;
  readonly fault: FaultPolicy;
  #policy: UpstreamPolicy;
  #stack: Policy;

  constructor(name: string, policy: UpstreamPolicy, permission: FaultPermission, options: UpstreamGuardOptions = {}) {
    this.name = name;
    this.#policy = policy;
    const common = { upstream: name, metrics: options.metrics, logger: options.logger };
    const clock = options.clock === undefined ? {} : { clock: options.clock };
    const random = options.random === undefined ? {} : { random: options.random };
    this.deadline = new DeadlinePolicy({ upstream: name, timeoutMs: policy.timeoutMs, ...clock });
    this.bulkhead = new Bulkhead({ ...common, ...policy.bulkhead });
    this.breaker = new AdaptiveBreaker({ ...common, ...clock, ...random, ...policy.breaker });
    this.budget = new RetryBudget({ ...clock, ...policy.retry.budget });
    this.retry = new RetryPolicy({ ...common, ...random, ...policy.retry, budget: this.budget, ...(options.onRetry === undefined ? {} : { onRetry: options.onRetry }) });
    this.fault = new FaultPolicy({ ...common, ...random, rules: policy.fault, rulesAllowed: permission.rules, onDemandAllowed: permission.header });
    this.#stack = this.#build();
  }

  get policy(): UpstreamPolicy {
    return this.#policy;
  }

  /** Applies new settings, keeping the breaker's and budget's state. */
  configure(policy: UpstreamPolicy, permission: FaultPermission): void {
    this.#policy = policy;
    this.deadline.configure({ timeoutMs: policy.timeoutMs });
    this.bulkhead.configure(policy.bulkhead);
    this.breaker.configure(policy.breaker);
    this.budget.configure(policy.retry.budget);
    this.retry.configure(policy.retry);
    this.fault.configure({ rules: policy.fault, rulesAllowed: permission.rules, onDemandAllowed: permission.header });
    this.#stack = this.#build();
  }

  execute<T>(fn: Operation<T>, options?: ExecuteOptions<T>): Promise<T> {
    return this.#stack.execute(fn, options);
  }

  snapshot(): UpstreamSnapshot {
    const { timeoutMs, breaker, bulkhead, retry, fault } = this.#policy;
    return {
      timeoutMs,
      breaker: breaker.enabled ? this.breaker.status() : null,
      bulkhead: bulkhead.enabled ? this.bulkhead.status() : null,
      retry: retry.enabled ? { ...this.retry.settings, budget: this.budget.status() } : null,
      fault,
    };
  }

  /** Drops this guard's metric series (its upstream left the config). */
  dispose(): void {
    this.breaker.dispose();
    this.bulkhead.dispose();
  }

  #build(): Policy {
    const { bulkhead, breaker, retry } = this.#policy;
    const policies: Policy[] = [this.deadline];
    if (bulkhead.enabled) policies.push(this.bulkhead);
    if (breaker.enabled) policies.push(this.breaker);
    if (retry.enabled) policies.push(this.retry);
    if (this.fault.active) policies.push(this.fault);
    return wrap(...policies);
  }
}
