/**
 * The gateway's governance state for one process: the authenticator, the
 * rate limiter, the upstream guards and the server's load shedder. Built
 * once at start; `update()` applies a reloaded config in place, so breaker
 * windows, retry budgets and buckets survive a reload.
 */
import { ConfigError, type ConfigProblem } from '@flotilla/kit/config';
import { Authenticator, authSettingsProblems, type AuthSettings } from '@flotilla/kit/http';
import type { Logger } from '@flotilla/kit/observability';
import type { ServiceTelemetry } from '@flotilla/kit/observability';
import { createRateLimiter, parseResilienceSettings, rateLimitSettingsProblems, UpstreamGuards, type LoadShedder, type RateLimiter, type RateLimitSettings, type ResilienceSettings } from '@flotilla/kit/resilience';
import type { AdminSettings } from './settings.js';

export interface GatewayPolicySettings {
  auth: AuthSettings;
  rateLimit: RateLimitSettings;
  resilience: ResilienceSettings;
  admin: AdminSettings;
}

export class GatewayPolicies {
  readonly authenticator: Authenticator;
  readonly limiter: RateLimiter;
  readonly guards: UpstreamGuards;
  /** The kit's shedder for this server (one in-flight count for Fastify and proxied requests). */
  shedder: LoadShedder | undefined;
  #admin: AdminSettings;

  constructor(settings: GatewayPolicySettings, options: { namespace: string; telemetry: ServiceTelemetry; logger: Logger }) {
    this.authenticator = new Authenticator(settings.auth, { logger: options.logger });
    this.limiter = createRateLimiter({ settings: settings.rateLimit, metrics: options.telemetry.metrics, logger: options.logger });
    this.guards = new UpstreamGuards(settings.resilience, { namespace: options.namespace, metrics: options.telemetry, logger: options.logger });
    this.#admin = settings.admin;
  }

  get admin(): AdminSettings {
    return this.#admin;
  }

  /** True when upstream calls have anything to guard (false keeps the proxy on its direct path). */
  guarded(upstream: string): boolean {
    const policy = this.guards.get(upstream).policy;
    return policy.retry.enabled || policy.breaker.enabled || policy.bulkhead.enabled || policy.fault.delay !== undefined || policy.fault.abort !== undefined || this.guards.faultPermission.header;
  }

  /** Applies reloaded settings; throws ConfigError (changing nothing) when one part is invalid. */
  async update(settings: GatewayPolicySettings): Promise<void> {
    const problems = policyProblems(settings);
    if (problems.length > 0) throw new ConfigError('gateway', 'reloaded policies', problems);
    this.guards.update(settings.resilience);
    this.authenticator.update(settings.auth);
    await this.limiter.update(settings.rateLimit);
    this.#admin = settings.admin;
  }

  close(): Promise<void> {
    return this.limiter.close();
  }
}

/** Checks the schema cannot express (an HS256 without a secret, a route naming no policy…), before anything is applied. */
export function policyProblems(settings: GatewayPolicySettings): ConfigProblem[] {
  const problems = [...authSettingsProblems(settings.auth).map((p) => ({ ...p, key: `auth.${p.key}` })), ...rateLimitSettingsProblems(settings.rateLimit).map((p) => ({ ...p, key: `rateLimit.${p.key}` }))];
  try {
    parseResilienceSettings(settings.resilience);
  } catch (error) {
    if (error instanceof ConfigError) problems.push(...error.problems.map((p) => ({ ...p, key: `resilience.${p.key}` })));
    else throw error;
  }
  return problems;
}
