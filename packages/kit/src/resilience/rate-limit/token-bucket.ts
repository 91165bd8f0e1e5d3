/**
 * Token-bucket arithmetic shared by the in-process store (here) and the
 * Redis script (the same steps in Lua). A bucket is only `tokens` and the
 * time `at` they were counted; refill is computed on the next take, so idle
 * buckets cost nothing and a full one is the same as no bucket at all.
 */
import type { RateLimitPolicySettings } from './settings.ts';

export interface BucketShape {
  /** Most tokens the bucket holds: the burst. */
  capacity: number;
  /** Tokens added per millisecond. */
  refillPerMs: number;
}

export interface BucketState {
  tokens: number;
  /** Milliseconds on the store's clock. */
  at: number;
}

/** The outcome of one take, in the units the headers need. */
export interface BucketResult {
  allowed: boolean;
  /** Whole tokens left after this take. */
  remaining: number;
  /** Milliseconds until the bucket is full again. */
  resetMs: number;
  /** Milliseconds until this take could succeed; 0 when it did. */
  retryAfterMs: number;
}

export function bucketShape(policy: RateLimitPolicySettings): BucketShape {
  return { capacity: policy.burst ?? policy.limit, refillPerMs: policy.limit / ((policy.windowSeconds ?? 60) * 1_000) };
}

/**
 * Refills `state` up to `now`, takes `cost` tokens if there are enough, and
 * says what happened. `state` is updated in place (a new bucket starts as
 * `{ tokens: capacity, at: now }`): a take allocates only its result.
 */
export function takeTokens(state: BucketState, now: number, shape: BucketShape, cost: number): BucketResult {
  const { capacity, refillPerMs } = shape;
  let tokens = Math.min(capacity, state.tokens + Math.max(0, now - state.at) * refillPerMs);
  const allowed = tokens >= cost;
  if (allowed) tokens -= cost;
  state.tokens = tokens;
  state.at = now;
  return {
    allowed,
    remaining: Math.floor(tokens),
    resetMs: Math.ceil((capacity - tokens) / refillPerMs),
    retryAfterMs: allowed ? 0 : Math.ceil((cost - tokens) / refillPerMs),
  };
}

/** True once the bucket has refilled completely: forgetting it then changes nothing. */
export function isFull(state: BucketState, now: number, shape: BucketShape): boolean {
  return state.tokens + (now - state.at) * shape.refillPerMs >= shape.capacity;
}
