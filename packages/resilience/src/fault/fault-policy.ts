/**
 * FaultPolicy: injects the configured faults (each on `percent` % of calls)
 * and the one a call carries in its context (`x-flotilla-fault`, parsed by
 * the caller). The delay comes first and stops early when the call's signal
 * fires or its deadline passes; then the abort, which raises the error the
 * status or code stands for (with that exact status or code, see
 * abort-mapping.ts) instead of calling the upstream. Rules given directly
 * (not through the config schema) are checked too: a bad abort is a
 * ConfigError, and nothing changes.
 */
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import type { MetricsRegistry } from '@flotilla/telemetry';
import { sleep, systemRandom, type RandomSource } from '../clock.ts';
import { faultInstruments } from '../metrics.ts';
import { deriveContext, executionContext, type ExecuteOptions, type Operation, type Policy } from '../policy.ts';
import { ConfigError } from '@flotilla/config';
import { abortProblem, faultError, type FaultAbort, type FaultRules } from './fault-spec.ts';

export interface FaultPolicyOptions {
  upstream: string;
  rules?: FaultRules | undefined;
  /** False: configured rules are ignored (see faultInjectionAllowed). Default true. */
  rulesAllowed?: boolean;
  /** False: faults carried by the call (the header) are ignored. Default true. */
  onDemandAllowed?: boolean;
  metrics?: MetricsRegistry | undefined;
  logger?: Logger | undefined;
  random?: RandomSource;
}

export class FaultPolicy implements Policy {
  readonly upstream: string;
  #rules: FaultRules;
  #rulesAllowed: boolean;
  #onDemandAllowed: boolean;
  readonly #random: RandomSource;
  readonly #logger: Logger | undefined;
  readonly #injected: Counter<'upstream' | 'kind'> | undefined;

  constructor(options: FaultPolicyOptions) {
    this.upstream = options.upstream;
    this.#rules = checkedRules(options.upstream, options.rules);
    this.#rulesAllowed = options.rulesAllowed ?? true;
    this.#onDemandAllowed = options.onDemandAllowed ?? true;
    this.#random = options.random ?? systemRandom;
    this.#logger = options.logger;
    this.#injected = options.metrics === undefined ? undefined : faultInstruments(options.metrics);
  }

  get rules(): FaultRules {
    return this.#rules;
  }

  /** True when this policy can inject anything at all (the guard skips it otherwise). */
  get active(): boolean {
    return this.#onDemandAllowed || (this.#rulesAllowed && (this.#rules.delay !== undefined || this.#rules.abort !== undefined));
  }

  configure(options: { rules?: FaultRules | undefined; rulesAllowed?: boolean; onDemandAllowed?: boolean }): void {
    this.#rules = checkedRules(this.upstream, options.rules);
    if (options.rulesAllowed !== undefined) this.#rulesAllowed = options.rulesAllowed;
    if (options.onDemandAllowed !== undefined) this.#onDemandAllowed = options.onDemandAllowed;
  }

  async execute<T>(fn: Operation<T>, options?: ExecuteOptions<T>): Promise<T> {
    const context = executionContext(options);
    const onDemand = this.#onDemandAllowed ? context.fault : undefined;
    const rules = this.#rulesAllowed ? this.#rules : {};

    const delayMs = onDemand?.delayMs ?? (rules.delay !== undefined && this.#roll(rules.delay.percent) ? rules.delay.ms : undefined);
    let delayedMs = 0;
    if (delayMs !== undefined && delayMs > 0) {
      this.#count('delay', onDemand?.delayMs !== undefined);
      const signals = context.deadline.bounded ? [context.signal, context.deadline.signal] : [context.signal];
      const startedAt = performance.now();
      await sleep(delayMs, ...signals);
      delayedMs = performance.now() - startedAt;
    }

    const abort: FaultAbort | undefined =
      onDemand?.abort ?? (rules.abort !== undefined && this.#roll(rules.abort.percent) ? rules.abort : undefined);
    if (abort !== undefined) {
      const byHeader = onDemand?.abort !== undefined;
      this.#count('abort', byHeader);
      throw faultError(
        { status: abort.status, grpcCode: abort.grpcCode },
        byHeader ? 'x-flotilla-fault header' : `fault rule for ${this.upstream}`,
      );
    }
    // The callee learns of the delay: it simulates the upstream being slow (see ExecutionContext.faultDelayMs).
    return fn(delayedMs > 0 ? deriveContext(context, { faultDelayMs: context.faultDelayMs + delayedMs }) : context);
  }

  #roll(percent: number): boolean {
    return percent >= 100 || (percent > 0 && this.#random() * 100 < percent);
  }

  #count(kind: 'delay' | 'abort', byHeader: boolean): void {
    this.#injected?.inc({ upstream: this.upstream, kind });
    this.#logger?.debug(
      { upstream: this.upstream, fault: { kind, source: byHeader ? 'header' : 'config' } },
      `injecting a ${kind} fault into a call to ${this.upstream}`,
    );
  }
}

function checkedRules(upstream: string, rules: FaultRules | undefined): FaultRules {
  const abort = rules?.abort;
  const problem = abort === undefined ? undefined : abortProblem(abort);
  if (problem !== undefined)
    throw new ConfigError('resilience', `fault rules for ${upstream}`, [{ key: 'fault.abort', value: abort, rule: problem }]);
  return rules ?? {};
}
