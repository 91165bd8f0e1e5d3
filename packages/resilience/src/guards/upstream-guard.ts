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
 * The stack is `wrap()` of the policies the settings switch on (which fuses
 * bulkhead and breaker into one promise). `configure` swaps settings in
 * place and rebuilds the stack: the breaker's window, the budget's counts
 * and the bulkhead's running calls carry over a hot reload.
 */
import type { Logger } from 'pino';
import type { MetricsRegistry } from '@flotilla/telemetry';
import { AdaptiveBreaker, type BreakerStatus } from '../breaker.ts';
import { Bulkhead, type BulkheadStatus } from '../bulkhead.ts';
import type { Clock, RandomSource } from '../clock.ts';
import { DeadlinePolicy } from '../deadline-policy.ts';
import { FaultPolicy } from '../fault/fault-policy.ts';
import type { FaultRules } from '../fault/fault-spec.ts';
import type { FaultPermission } from '../fault/permission.ts';
import type { ExecuteOptions, Operation, Policy } from '../policy.ts';
import { RetryBudget, type RetryBudgetStatus } from '../retry-budget.ts';
import { RetryPolicy, type RetryEvent, type RetrySettings } from '../retry-policy.ts';
import { noopPolicy, wrap } from '../wrap.ts';
import type { UpstreamPolicy } from './settings.ts';

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
  /** The policies the settings switch on, wrapped in the order above. */
  #stack: Policy = noopPolicy;

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
    this.retry = new RetryPolicy({
      ...common,
      ...random,
      ...policy.retry,
      budget: this.budget,
      ...(options.onRetry === undefined ? {} : { onRetry: options.onRetry }),
    });
    this.fault = new FaultPolicy({
      ...common,
      ...random,
      rules: policy.fault,
      rulesAllowed: permission.rules,
      onDemandAllowed: permission.header,
    });
    this.#chooseSteps();
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
    this.#chooseSteps();
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

  /** The fault policy only when it can inject anything. */
  #chooseSteps(): void {
    const policy = this.#policy;
    this.#stack = wrap(
      this.deadline,
      ...(policy.bulkhead.enabled ? [this.bulkhead] : []),
      ...(policy.breaker.enabled ? [this.breaker] : []),
      ...(policy.retry.enabled ? [this.retry] : []),
      ...(this.fault.active ? [this.fault] : []),
    );
  }
}
