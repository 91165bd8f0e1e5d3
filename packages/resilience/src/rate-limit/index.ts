// Rate limiting: token buckets per route and client key, in-process or shared through Redis.
export {
  RateLimitSettings,
  RateLimitPolicyConfig,
  RateLimitStoreConfig,
  RATE_LIMIT_KEY_KINDS,
  parseRateLimitSettings,
  rateLimitSettingsProblems,
  type RateLimitKeyBy,
  type RateLimitPolicySettings,
  type RateLimitStoreSettings,
} from './settings.ts';
export {
  RateLimiter,
  createRateLimiter,
  type RateLimitDecision,
  type RateLimitPolicyInfo,
  type RateLimiterStatus,
  type RateLimiterOptions,
} from './limiter.ts';
export { rateLimitKey, type RateLimitIdentity, type RateLimitRequest, type RateLimitKeyOptions } from './client-key.ts';
export { rateLimitedError } from './problem.ts';
export { RATE_LIMIT_HEADER, RATE_LIMIT_POLICY_HEADER, RETRY_AFTER_HEADER } from './headers.ts';
export type { BucketSource, BucketStoresStatus, RateLimitLogger } from './bucket-stores.ts';
