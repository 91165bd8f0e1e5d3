import { FlotillaError } from '@flotilla/core';
import type { ShedVerdict } from './load-shedder.ts';

/** The 503 for a shed request (problem+json `https://flotilla.dev/problems/overloaded`); send `Retry-After` with it. */
export function overloadedError(verdict: ShedVerdict): FlotillaError {
  const cause = verdict.reason === 'event-loop-delay' ? 'its event loop is running late' : 'too many requests are in progress';
  return new FlotillaError('overloaded', `The service is overloaded (${cause}); retry in ${verdict.retryAfterSeconds} s`, {
    details: { reason: verdict.reason, retryAfter: verdict.retryAfterSeconds },
  });
}
