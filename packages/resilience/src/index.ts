// @flotilla/kit/resilience: deadlines, retries with budgets, adaptive breakers, bulkheads, fault injection.
export {
  Deadline,
  REQUEST_TIMEOUT_HEADER,
  GRPC_TIMEOUT_HEADER,
  parseRequestTimeout,
  parseGrpcTimeout,
  formatGrpcTimeout,
  type HeaderBag,
} from '@flotilla/core';
export { currentDeadline, deadlineOf } from '@flotilla/core';
export { incomingRequestContext, requestContext } from './request-deadline.ts';
export { systemClock, systemRandom, sleep, type Clock, type RandomSource } from './clock.ts';
export { Cancellation } from '@flotilla/core';
export {
  executionContext,
  deriveContext,
  type ContextChanges,
  type Policy,
  type Operation,
  type ExecutionContext,
  type PolicyStep,
  type StepOutcome,
  type StepRefusal,
  type SteppedPolicy,
  type ExecuteOptions,
} from './policy.ts';
export { wrap, noopPolicy } from './wrap.ts';
export { DeadlinePolicy, type DeadlinePolicyOptions } from './deadline-policy.ts';
export {
  isIdempotentHttp,
  isRetryableError,
  isUpstreamFailure,
  isConnectionError,
  IDEMPOTENCY_KEY_HEADER,
} from './classify.ts';
export {
  RetryPolicy,
  RETRY_DEFAULTS,
  type RetryPolicyOptions,
  type RetrySettings,
  type RetryEvent,
  type RetryStop,
} from './retry-policy.ts';
export { RetryBudget, RETRY_BUDGET_DEFAULTS, type RetryBudgetOptions, type RetryBudgetStatus } from './retry-budget.ts';
export {
  AdaptiveBreaker,
  BREAKER_DEFAULTS,
  type AdaptiveBreakerOptions,
  type BreakerSettings,
  type BreakerState,
  type BreakerStatus,
  type BreakerStateChange,
  type BreakerRejection,
} from './breaker.ts';
export {
  Bulkhead,
  BULKHEAD_DEFAULTS,
  type BulkheadOptions,
  type BulkheadSettings,
  type BulkheadStatus,
} from './bulkhead.ts';
export { FaultPolicy, type FaultPolicyOptions } from './fault/fault-policy.ts';
export { faultError, type FaultSpec, type FaultRules, type FaultAbort } from './fault/fault-spec.ts';
export { parseFaultHeader, faultFromHeaders, FAULT_HEADER, MAX_FAULT_DELAY_MS } from './fault/fault-header.ts';
export {
  faultInjectionAllowed,
  PROD_NAMESPACE,
  type FaultPermission,
  type FaultPermissionSettings,
} from './fault/permission.ts';
export {
  ResilienceSettings,
  UpstreamPolicyConfig,
  RetryConfig,
  RetryBudgetConfig,
  BreakerConfig,
  BulkheadConfig,
  FaultConfig,
  FaultPermissionConfig,
  DEFAULT_UPSTREAM_POLICY,
  parseResilienceSettings,
  resolveUpstreamPolicy,
  type UpstreamPolicy,
} from './guards/settings.ts';
export { UpstreamGuard, type UpstreamGuardOptions, type UpstreamSnapshot } from './guards/upstream-guard.ts';
export { UpstreamGuards, type UpstreamGuardsOptions, type ResilienceSnapshot } from './guards/guard-registry.ts';
export { breakerInstruments, retryInstruments, bulkheadInstruments, faultInstruments } from './metrics.ts';
export * from './rate-limit/index.ts';
export * from './shedding/index.ts';
