/**
 * A rate-limit policy as a token bucket. The bucket itself (its state and
 * the take arithmetic) is @flotilla/core's; the Redis script runs the same
 * steps in Lua.
 */
import type { BucketShape } from '@flotilla/core';
import type { RateLimitPolicySettings } from './settings.ts';

export type { BucketResult, BucketShape } from '@flotilla/core';

export function bucketShape(policy: RateLimitPolicySettings): BucketShape {
  return { capacity: policy.burst ?? policy.limit, refillPerMs: policy.limit / ((policy.windowSeconds ?? 60) * 1_000) };
}
