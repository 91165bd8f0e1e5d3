/**
 * Rate limiting for a Fastify app (services; the gateway's raw path calls
 * `limiter.check` itself). An `onRequest` hook, so a refused request costs
 * no body parsing; register it after the authentication hook when a policy
 * keys by API key or subject. A route names its policy with
 * `config: { rateLimit: 'name' }` or opts out with `config: { rateLimit: false }`;
 * otherwise `settings.routes[<route url>]` or `settings.defaultPolicy` apply.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { rateLimitKey, type RateLimitIdentity } from './client-key.ts';
import type { RateLimiter } from './limiter.ts';
import { rateLimitedError } from './problem.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Rate-limit policy of this route, or false: never limited. */
    rateLimit?: string | false;
  }
}

export interface RateLimitHookOptions {
  limiter: RateLimiter;
  /** The verified caller (for keyBy apiKey/subject), as the authentication hook left it on the request. */
  identity?: (request: FastifyRequest) => RateLimitIdentity | undefined;
  /** Header with the API key when the identity has no apiKeyId; default `x-api-key`. */
  apiKeyHeader?: string;
  /** Route URLs never limited, whatever defaultPolicy says; default: health and metrics. */
  exemptRoutes?: string[];
}

const DEFAULT_EXEMPT = ['/healthz', '/readyz', '/metrics'];

export function registerRateLimit(app: FastifyInstance, options: RateLimitHookOptions): void {
  const { limiter } = options;
  const exempt = new Set(options.exemptRoutes ?? DEFAULT_EXEMPT);
  const keyOptions = options.apiKeyHeader === undefined ? {} : { apiKeyHeader: options.apiKeyHeader };

  app.addHook('onRequest', async (request, reply) => {
    const route = request.routeOptions.url;
    const own = request.routeOptions.config.rateLimit;
    if (route === undefined || own === false || exempt.has(route)) return;
    const policy = limiter.policyFor(route, own);
    if (policy === undefined) return;
    const key = rateLimitKey(policy.keyBy, request, options.identity?.(request), keyOptions);
    const decision = await limiter.check(route, key, policy.name);
    reply.headers(decision.headers);
    if (!decision.allowed) throw rateLimitedError(decision);
  });
}
