/**
 * The gateway's governance state for one process: the authenticator, the
 * rate limiter, the upstream guards and the admission pipeline built on
 * them (with the server's load shedder). Built
 * once at start; `update()` applies a reloaded config in place, so breaker
 * windows, retry budgets and buckets survive a reload.
 */
import { FlotillaError } from '@flotilla/kit';
import { ConfigError, type ConfigProblem } from '@flotilla/config';
import { Authenticator, authSettingsProblems, type AuthSettings } from '@flotilla/http';
import type { Logger } from '@flotilla/telemetry';
import type { ServiceTelemetry } from '@flotilla/telemetry';
import {
  createRateLimiter,
  rateLimitSettingsProblems,
  UpstreamGuards,
  type RateLimiter,
  type RateLimitSettings,
  type ResilienceSettings,
} from '@flotilla/resilience';
import { GatewayAdmission } from './admission.ts';
import type { AdminSettings } from './settings.ts';

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
  /** Each route's admission steps, compiled from the policies above. */
  readonly admission: GatewayAdmission;
  #admin: AdminSettings;
  /** False when the authenticator was given (the service's, which follows reloads itself). */
  readonly #ownsAuthenticator: boolean;

  constructor(
    settings: GatewayPolicySettings,
    options: { namespace: string; telemetry: ServiceTelemetry; logger: Logger; authenticator?: Authenticator },
  ) {
    this.#ownsAuthenticator = options.authenticator === undefined;
    this.authenticator = options.authenticator ?? new Authenticator(settings.auth, { logger: options.logger });
    this.limiter = createRateLimiter({
      settings: settings.rateLimit,
      metrics: options.telemetry.metrics,
      logger: options.logger,
    });
    this.guards = new UpstreamGuards(gatewayResilience(settings.resilience), {
      namespace: options.namespace,
      metrics: options.telemetry,
      logger: options.logger,
    });
    this.#admin = settings.admin;
    this.admission = new GatewayAdmission(this);
  }

  get admin(): AdminSettings {
    return this.#admin;
  }

  /** Applies reloaded settings; throws ConfigError (changing nothing) when one part is invalid. */
  async update(settings: GatewayPolicySettings): Promise<void> {
    const problems = policyProblems(settings, this.guards.namespace);
    if (problems.length > 0) throw new ConfigError('gateway', 'reloaded policies', problems);
    this.guards.update(gatewayResilience(settings.resilience));
    if (this.#ownsAuthenticator) this.authenticator.update(settings.auth);
    await this.limiter.update(settings.rateLimit);
    this.#admin = settings.admin;
    this.admission.invalidate();
  }

  close(): Promise<void> {
    return this.limiter.close();
  }
}

/**
 * Checks the schema cannot express (an HS256 without a secret, a route naming
 * no policy, faults switched on in `prod`…), before anything is applied, so
 * the config centre reports such a change as rejected instead of applied.
 */
export function policyProblems(settings: GatewayPolicySettings, namespace: string): ConfigProblem[] {
  const problems = [
    ...authSettingsProblems(settings.auth).map((p) => ({ ...p, key: `auth.${p.key}` })),
    ...rateLimitSettingsProblems(settings.rateLimit).map((p) => ({ ...p, key: `rateLimit.${p.key}` })),
  ];
  try {
    // Built only to validate: the same checks the live guards make on update, including the namespace's fault rules.
    new UpstreamGuards(gatewayResilience(settings.resilience), { namespace });
  } catch (error) {
    if (error instanceof ConfigError) problems.push(...error.problems.map((p) => ({ ...p, key: `resilience.${p.key}` })));
    else if (error instanceof FlotillaError && error.code === 'validation')
      problems.push(...refusedFaultKeys(error).map((key) => ({ key, value: valueAt(settings, key), rule: error.message })));
    else throw error;
  }
  return problems;
}

/** The keys a fault refusal names (`details.keys`), or the faults section when it names none. */
function refusedFaultKeys(error: FlotillaError): string[] {
  const keys = error.details?.keys;
  return Array.isArray(keys) && keys.every((key) => typeof key === 'string') ? keys : ['resilience.faults'];
}

function valueAt(root: unknown, path: string): unknown {
  let value = root;
  for (const part of path.split('.'))
    value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
  return value;
}

/** The longest route timeout the config allows. */
const NO_CAP_MS = 3_600_000;

/**
 * In the gateway the route's `timeoutMs` (time until the upstream starts
 * answering, which for an upload includes sending the body) is what bounds a
 * call; the kit's default per-upstream cap (meant for service-to-service
 * calls) would cut long uploads. It applies only where the config sets one.
 */
function gatewayResilience(settings: ResilienceSettings): ResilienceSettings {
  return { ...settings, defaults: { timeoutMs: NO_CAP_MS, ...settings.defaults } };
}
