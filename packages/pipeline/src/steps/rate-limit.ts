/** Rate limiting: one bucket per route policy and caller; the decision's headers go on every answer. */
import { type RateLimitIdentity, rateLimitKey } from '@flotilla/resilience';
import type { RateLimitDecision, RateLimiter } from '@flotilla/resilience';
import { rateLimitedError } from '@flotilla/resilience';
import { type Admission, ORDER, Refusal, type StepFactory, type StepResult } from '../admission.ts';
import type { Inbound } from '../inbound.ts';
import type { RoutePolicy } from '../route-policy.ts';

export interface RateLimitStepOptions {
  /** Who is calling, when not the identity the authentication step verified (a trusted header of your own). */
  identity?: (inbound: Inbound) => RateLimitIdentity | undefined;
  /** Header with the API key when the identity has no apiKeyId; default `x-api-key`. */
  apiKeyHeader?: string;
  /** Route templates never limited, whatever the default policy says. */
  exemptRoutes?: readonly string[];
}

export function rateLimitStep(limiter: RateLimiter, options: RateLimitStepOptions = {}): StepFactory {
  const exempt = new Set(options.exemptRoutes ?? []);
  const keyOptions = options.apiKeyHeader === undefined ? {} : { apiKeyHeader: options.apiKeyHeader };
  const ownIdentity = options.identity;
  return {
    order: ORDER.rateLimit,
    needsIdentity: (route) => ownIdentity === undefined && !exempt.has(route.name) && limitNeedsIdentity(limiter, route),
    compile(route) {
      if (route.rateLimit === false || exempt.has(route.name)) return undefined;
      const explicit = route.rateLimit;
      // The policy is looked up per request: a reload may add or change one without recompiling the route.
      return (inbound, admission) => {
        const policy = limiter.policyFor(route.name, explicit);
        if (policy === undefined) return undefined;
        const key = rateLimitKey(
          policy.keyBy,
          { ip: inbound.clientAddress, headers: inbound.headers },
          ownIdentity === undefined ? verified(admission) : ownIdentity(inbound),
          keyOptions,
        );
        // In-process buckets answer at once; only a shared store (Redis) needs the wait.
        const now = limiter.checkNow(route.name, key, policy.name);
        if (now !== undefined) return decided(now, admission);
        return limiter.check(route.name, key, policy.name).then((later) => decided(later, admission));
      };
    },
  };
}

function verified(admission: Admission): RateLimitIdentity | undefined {
  const identity = admission.identity;
  if (identity === null) return undefined;
  return identity.method === 'apiKey' ? { subject: identity.subject, apiKeyId: identity.subject } : { subject: identity.subject };
}

/** Whether a route needs the caller's identity for its limit (keyed by subject or API key). */
export function limitNeedsIdentity(limiter: RateLimiter, route: RoutePolicy): boolean {
  if (route.rateLimit === false) return false;
  const policy = limiter.policyFor(route.name, route.rateLimit);
  return policy !== undefined && policy.keyBy !== 'ip';
}

function decided(decision: RateLimitDecision, admission: Admission): StepResult {
  const headers: string[] = [];
  for (const name in decision.headers) headers.push(name, decision.headers[name] as string);
  if (!decision.allowed) return new Refusal(rateLimitedError(decision), [...admission.responseHeaders, ...headers]);
  admission.addResponseHeaders(headers);
  return undefined;
}
