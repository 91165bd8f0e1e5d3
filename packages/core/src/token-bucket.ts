/**
 * A token bucket is only `tokens` and the time `at` they were counted: refill
 * is computed, in place, on the next take, so an idle bucket costs nothing
 * and a full one is the same as no bucket at all.
 *
 * The kit's Redis rate-limit store runs `takeTokens` as a Lua script
 * (packages/resilience/src/rate-limit/redis-script.ts): the two must
 * agree step for step, or a limit would change with the store.
 */

export interface BucketShape {
  /** Most tokens the bucket holds: the burst. */
  capacity: number;
  /** Tokens added per millisecond. */
  refillPerMs: number;
}

export interface BucketState {
  tokens: number;
  /** Milliseconds on the owner's clock. */
  at: number;
}

/** The outcome of one take. */
export interface BucketResult {
  allowed: boolean;
  /** Whole tokens left after this take. */
  remaining: number;
  /** Milliseconds until the bucket is full again. */
  resetMs: number;
  /** Milliseconds until this take could succeed; 0 when it did. */
  retryAfterMs: number;
}

/** A bucket as it starts: full. */
export function fullBucket(shape: BucketShape, now: number): BucketState {
  return { tokens: shape.capacity, at: now };
}

/**
 * Refills `state` up to `now`, takes `cost` tokens if there are enough, and
 * says what happened. `state` is updated in place: a take allocates only its
 * result.
 */
export function takeTokens(state: BucketState, now: number, shape: BucketShape, cost: number): BucketResult {
  refill(state, now, shape);
  const allowed = state.tokens >= cost;
  if (allowed) state.tokens -= cost;
  return {
    allowed,
    remaining: Math.floor(state.tokens),
    resetMs: Math.ceil((shape.capacity - state.tokens) / shape.refillPerMs),
    retryAfterMs: allowed ? 0 : Math.ceil((cost - state.tokens) / shape.refillPerMs),
  };
}

/**
 * Refills `state` up to `now` and takes `cost` tokens even when that leaves
 * the bucket in debt; returns the milliseconds until the debt is paid off,
 * that is when the reserved tokens may be used (0 at once).
 */
export function reserveTokens(state: BucketState, now: number, shape: BucketShape, cost: number): number {
  refill(state, now, shape);
  state.tokens -= cost;
  return state.tokens >= 0 ? 0 : Math.ceil(-state.tokens / shape.refillPerMs);
}

/** True once the bucket has refilled completely: forgetting it then changes nothing. */
export function isFull(state: BucketState, now: number, shape: BucketShape): boolean {
  return state.tokens + (now - state.at) * shape.refillPerMs >= shape.capacity;
}

/** A clock that went backwards adds nothing. */
function refill(state: BucketState, now: number, shape: BucketShape): void {
  state.tokens = Math.min(shape.capacity, state.tokens + Math.max(0, now - state.at) * shape.refillPerMs);
  state.at = now;
}
