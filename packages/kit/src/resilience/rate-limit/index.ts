// Rate limiting: token buckets per route and client key, in-process or shared through Redis.
export { RateLimitSettings, RateLimitPolicyConfig, RateLimitStoreConfig, RATE_LIMIT_KEY_KINDS, parseRateLimitSettings, rateLimitSettingsProblems, type RateLimitKeyBy, type RateLimitPolicySettings, type RateLimitStoreSettings } from './settings.js';
export { RateLimiter, createRateLimiter, type RateLimitDecision, type RateLimitPolicyInfo, type RateLimiterStatus, type RateLimiterOptions } from './limiter.js';
export { rateLimitKey, type RateLimitIdentity, type RateLimitRequest, type RateLimitKeyOptions } from './client-key.js';
export { rateLimitedError } from './problem.js';
export { registerRateLimit, type RateLimitHookOptions } from './fastify.js';
export { RATE_LIMIT_HEADER, RATE_LIMIT_POLICY_HEADER, RETRY_AFTER_HEADER } from './headers.js';
export type { BucketSource, BucketStoresStatus, RateLimitLogger } from './bucket-stores.js';
