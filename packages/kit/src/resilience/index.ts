// @flotilla/kit/resilience: deadlines, retries with budgets, adaptive breakers, bulkheads, fault injection.
export { Deadline, REQUEST_TIMEOUT_HEADER, GRPC_TIMEOUT_HEADER, parseRequestTimeout, parseGrpcTimeout, formatGrpcTimeout, type HeaderBag } from './deadline.js';
export { currentDeadline, deadlineOf } from '../context.js';
export { incomingRequestContext } from './request-deadline.js';
export { systemClock, systemRandom, sleep, type Clock, type RandomSource } from './clock.js';
export { Cancellation } from './cancellation.js';
export { executionContext, deriveContext, type ContextChanges, type Policy, type Operation, type ExecutionContext, type ExecuteOptions } from './policy.js';
export { wrap, noopPolicy } from './wrap.js';
export { fromCockatiel } from './cockatiel.js';
export { DeadlinePolicy, type DeadlinePolicyOptions } from './deadline-policy.js';
export { isIdempotentHttp, isRetryableError, isUpstreamFailure, isConnectionError, IDEMPOTENCY_KEY_HEADER } from './classify.js';
export { RetryPolicy, RETRY_DEFAULTS, type RetryPolicyOptions, type RetrySettings, type RetryEvent, type RetryStop } from './retry-policy.js';
export { RetryBudget, RETRY_BUDGET_DEFAULTS, type RetryBudgetOptions, type RetryBudgetStatus } from './retry-budget.js';
export {
  AdaptiveBreaker,
  BREAKER_DEFAULTS,
  type AdaptiveBreakerOptions,
  type BreakerSettings,
  type BreakerState,
  type BreakerStatus,
  type BreakerStateChange,
  type BreakerRejection,
} from './breaker.js';
export { Bulkhead, BULKHEAD_DEFAULTS, type BulkheadOptions, type BulkheadSettings, type BulkheadStatus } from './bulkhead.js';
export { FaultPolicy, type FaultPolicyOptions } from './fault/fault-policy.js';
export { faultError, type FaultSpec, type FaultRules, type FaultAbort } from './fault/fault-spec.js';
export { parseFaultHeader, faultFromHeaders, FAULT_HEADER, MAX_FAULT_DELAY_MS } from './fault/fault-header.js';
export { faultInjectionAllowed, PROD_NAMESPACE, type FaultPermission, type FaultPermissionSettings } from './fault/permission.js';
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
} from './guards/settings.js';
export { UpstreamGuard, type UpstreamGuardOptions, type UpstreamSnapshot } from './guards/upstream-guard.js';
export { UpstreamGuards, type UpstreamGuardsOptions, type ResilienceSnapshot } from './guards/upstream-guards.js';
export { breakerInstruments, retryInstruments, bulkheadInstruments, faultInstruments } from './metrics.js';
export * from './rate-limit/index.js';
export * from './shedding/index.js';
