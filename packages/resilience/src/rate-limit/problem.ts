/** The 429 a refused decision turns into (problem+json `https://flotilla.dev/problems/rate-limited`). */
import { FlotillaError } from '@flotilla/core';
import type { RateLimitDecision } from './limiter.ts';

export function rateLimitedError(decision: RateLimitDecision): FlotillaError {
  const message =
    decision.store === 'unavailable'
      ? `The rate-limit store is unavailable and requests are refused until it is back; retry in ${decision.retryAfterSeconds} s`
      : `Rate limit "${decision.policy ?? ''}" exceeded for ${decision.route}; retry in ${decision.retryAfterSeconds} s`;
  return new FlotillaError('rate-limited', message, {
    details: { policy: decision.policy, retryAfter: decision.retryAfterSeconds },
  });
}
