/**
 * Rate limiting for a Fastify app: adds the rate-limit step to the app's
 * admission pipeline, after authentication (a policy keyed by API key or
 * subject uses the identity it verified). A route names its policy with
 * `config: { rateLimit: 'name' }` or opts out with `config: { rateLimit: false }`;
 * otherwise `settings.routes[<route url>]` or `settings.defaultPolicy` apply.
 */
import type { FastifyInstance } from 'fastify';
import { admissionOf } from '@flotilla/pipeline';
import { type RateLimitStepOptions, rateLimitStep } from '@flotilla/pipeline';
import type { RateLimiter } from '@flotilla/resilience';

export interface RateLimitHookOptions extends RateLimitStepOptions {
  limiter: RateLimiter;
}

/** Health and metrics are never limited unless the options list other exemptions. */
const DEFAULT_EXEMPT = ['/healthz', '/readyz', '/metrics'];

export function registerRateLimit(app: FastifyInstance, options: RateLimitHookOptions): void {
  const { limiter, ...step } = options;
  admissionOf(app).use(rateLimitStep(limiter, { ...step, exemptRoutes: step.exemptRoutes ?? DEFAULT_EXEMPT }));
}
