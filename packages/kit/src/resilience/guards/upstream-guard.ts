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
 *
 * The stack is not built with `wrap()`: bulkhead and breaker are applied
 * through their synchronous steps (`tryEnter`/`leave`, `admit`/`record…`),
 * so a call costs one promise for both instead of one each. Every guarded
 * call in the gateway goes through here, and each promise layer showed in
 * its profile; the order and the behaviour are those of the wrapped stack.
 */
import type { Logger } from 'pino';
import type { MetricsRegistry } from '../../observability/metrics/registry.ts';
import { AdaptiveBreaker, rejectedCall, type BreakerStatus } from '../breaker.ts';
import { Bulkhead, type BulkheadStatus } from '../bulkhead.ts';
import type { Clock, RandomSource } from '../clock.ts';
import { DeadlinePolicy } from '../deadline-policy.ts';
import { FaultPolicy } from '../fault/fault-policy.ts';
import type { FaultRules } from '../fault/fault-spec.ts';
import type { FaultPermission } from '../fault/permission.ts';
import { asOptions, executionContext, invoke, type ExecuteOptions, type ExecutionContext, type Operation, type Policy } from '../policy.ts';
import { RetryBudget, type RetryBudgetStatus } from '../retry-budget.ts';
import { RetryPolicy, type RetryEvent, type RetrySettings } from '../retry-policy.ts';
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
  /** Which steps run, from the policy (the fault step only when it can inject anything). */
  #bulkheadOn = false;
  #breakerOn = false;
  #retryOn = false;
  #faultOn = false;

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
    return this.deadline.execute<T>((context) => this.#underDeadline(fn, context), asOptions<T>(executionContext(options)));
  }

  /** Bulkhead: a free slot at once, or a wait in its queue. */
  #underDeadline<T>(fn: Operation<T>, context: ExecutionContext): Promise<T> {
    if (!this.#bulkheadOn) return this.#inSlot(fn, context, undefined);
    const bulkhead = this.bulkhead;
    if (bulkhead.tryEnter()) return this.#inSlot(fn, context, bulkhead);
    return bulkhead.enter(context).then(() => this.#inSlot(fn, context, bulkhead));
  }

  /** Breaker, then the retried (and fault-injected) call; the slot is given back and the outcome recorded when it settles. */
  #inSlot<T>(fn: Operation<T>, context: ExecutionContext, bulkhead: Bulkhead | undefined): Promise<T> {
    const breaker = this.#breakerOn ? this.breaker : undefined;
    const rejection = breaker?.admit();
    if (rejection !== undefined) {
      bulkhead?.leave();
      return rejectedCall<T>(rejection, context);
    }
    const attempt: Operation<T> = this.#faultOn ? (inner) => this.fault.execute<T>(fn, asOptions<T>(inner)) : fn;
    // RetryPolicy.execute never throws synchronously (it invokes `attempt` itself).
    const call = this.#retryOn ? this.retry.execute<T>(attempt, asOptions<T>(context)) : invoke(attempt, context);
    if (bulkhead === undefined && breaker === undefined) return call;
    return call.then(
      (value) => {
        bulkhead?.leave();
        breaker?.recordResult(value, context);
        return value;
      },
      (error: unknown) => {
        bulkhead?.leave();
        breaker?.recordError(error, context);
        throw error;
      },
    );
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

  #chooseSteps(): void {
    this.#bulkheadOn = this.#policy.bulkhead.enabled;
    this.#breakerOn = this.#policy.breaker.enabled;
    this.#retryOn = this.#policy.retry.enabled;
    this.#faultOn = this.fault.active;
  }
}
