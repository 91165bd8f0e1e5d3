/**
 * RateLimiter: the one object a gateway or service keeps. `check(route, key)`
 * takes a token from the bucket of (policy, route, client key) and returns a
 * decision that carries its own response headers. Settings are swapped live
 * with `update()`; a decision in flight finishes with the settings it began with.
 */
import type { MetricsRegistry } from '@flotilla/telemetry';
import { BucketStores, type BucketSource, type BucketStoresStatus, type RateLimitLogger, type StoreAnswer } from './bucket-stores.ts';
import {
  limitHeaderValue,
  policyHeaderValue,
  RATE_LIMIT_HEADER,
  RATE_LIMIT_POLICY_HEADER,
  RETRY_AFTER_HEADER,
  secondsCeil,
  sfString,
} from './headers.ts';
import { RateLimitMetrics } from './metrics.ts';
import { parseRateLimitSettings, type RateLimitKeyBy, type RateLimitSettings } from './settings.ts';
import { bucketShape, type BucketShape } from './token-bucket.ts';

export interface RateLimitDecision {
  allowed: boolean;
  route: string;
  /** The policy applied; undefined when the route is not limited (no headers then). */
  policy: string | undefined;
  /** Bucket capacity (the `q` of RateLimit-Policy). */
  limit: number;
  /** Seconds to refill an empty bucket (the `w`). */
  windowSeconds: number;
  remaining: number;
  /** Seconds until the bucket is full again (the `t` of RateLimit). */
  resetSeconds: number;
  /** Seconds before a retry could pass; 0 when allowed. */
  retryAfterSeconds: number;
  /** Who decided: `fallback` = in-process buckets while Redis is unreachable; `unavailable` = onStoreFailure allow/reject. */
  store: BucketSource | 'unavailable' | 'none';
  /** Lower-case response headers to send: ratelimit-policy, ratelimit, and retry-after when refused. */
  headers: Record<string, string>;
}

/** What a route's policy says, for computing the client key before `check`. */
export interface RateLimitPolicyInfo {
  name: string;
  keyBy: RateLimitKeyBy;
  limit: number;
  windowSeconds: number;
  burst: number;
}

export interface RateLimiterStatus {
  enabled: boolean;
  policies: Record<string, RateLimitPolicyInfo>;
  routes: Record<string, string>;
  defaultPolicy: string | undefined;
  store: BucketStoresStatus;
}

export interface RateLimiterOptions {
  /** Raw or parsed settings; defaults applied and validated (ConfigError on problems). */
  settings: unknown;
  /** The service's registry (`telemetry.metrics`); no metrics without it. */
  metrics?: MetricsRegistry;
  logger?: RateLimitLogger;
}

interface CompiledPolicy {
  info: RateLimitPolicyInfo;
  shape: BucketShape;
  /** Seconds to refill an empty bucket: the policy's `w`. */
  windowSeconds: number;
  quotedName: string;
  policyHeader: string;
}

interface Compiled {
  settings: RateLimitSettings;
  policies: Map<string, CompiledPolicy>;
}

export class RateLimiter {
  #compiled: Compiled;
  readonly #stores: BucketStores;
  readonly #metrics: RateLimitMetrics | undefined;
  readonly #logger: RateLimitLogger | undefined;
  readonly #unknownPoliciesLogged = new Set<string>();

  constructor(options: RateLimiterOptions) {
    const settings = parseRateLimitSettings(options.settings);
    this.#logger = options.logger;
    this.#metrics = options.metrics === undefined ? undefined : new RateLimitMetrics(options.metrics);
    this.#compiled = compile(settings);
    this.#stores = new BucketStores(settings.store, { logger: this.#logger, metrics: this.#metrics });
  }

  /** The policy `route` is limited by: `explicit` (a route's own config) if given, else settings.routes, else defaultPolicy. */
  policyFor(route: string, explicit?: string): RateLimitPolicyInfo | undefined {
    return this.#resolve(route, explicit)?.info;
  }

  /** Takes one token for `key` on `route`. Never throws for a store outage: the configured fallback answers. */
  async check(route: string, key: string, policy?: string): Promise<RateLimitDecision> {
    const compiled = this.#resolve(route, policy);
    if (compiled === undefined) return unlimited(route);
    return this.#decided(route, compiled, await this.#stores.take(bucketKey(compiled, route, key), compiled.shape));
  }

  /**
   * `check` without a promise when no shared store is involved (the route is
   * not limited, or buckets are in-process); undefined means "call `check`".
   * For hot paths that would otherwise await a value that is already there.
   */
  checkNow(route: string, key: string, policy?: string): RateLimitDecision | undefined {
    const compiled = this.#resolve(route, policy);
    if (compiled === undefined) return unlimited(route);
    const answer = this.#stores.takeNow(bucketKey(compiled, route, key), compiled.shape);
    return answer === undefined ? undefined : this.#decided(route, compiled, answer);
  }

  #decided(route: string, compiled: CompiledPolicy, answer: StoreAnswer): RateLimitDecision {
    const decision = toDecision(route, compiled, answer);
    this.#metrics?.decision(route, decision.allowed ? 'allowed' : 'limited');
    return decision;
  }

  /** Swaps in new settings (validated first: on a ConfigError nothing changes). */
  async update(settings: unknown): Promise<void> {
    const parsed = parseRateLimitSettings(settings);
    this.#compiled = compile(parsed);
    this.#unknownPoliciesLogged.clear();
    await this.#stores.reconfigure(parsed.store);
  }

  /** For an admin endpoint: policies, routes and whether the fallback is deciding. */
  status(): RateLimiterStatus {
    const { settings, policies } = this.#compiled;
    return {
      enabled: settings.enabled,
      policies: Object.fromEntries([...policies].map(([name, p]) => [name, p.info])),
      routes: settings.routes,
      defaultPolicy: settings.defaultPolicy,
      store: this.#stores.status(),
    };
  }

  close(): Promise<void> {
    return this.#stores.close();
  }

  #resolve(route: string, explicit: string | undefined): CompiledPolicy | undefined {
    const { settings, policies } = this.#compiled;
    if (!settings.enabled) return undefined;
    const name = explicit ?? settings.routes[route] ?? settings.defaultPolicy;
    if (name === undefined) return undefined;
    const compiled = policies.get(name);
    if (compiled === undefined && !this.#unknownPoliciesLogged.has(name)) {
      // A typo in a route's config must not take the route down; it is reported once and the route runs unlimited.
      this.#unknownPoliciesLogged.add(name);
      this.#logger?.warn(
        { event: { action: 'rate-limit-policy-unknown' }, labels: { route, policy: name } },
        `route ${route} names rate-limit policy "${name}", which is not defined; the route is not limited`,
      );
    }
    return compiled;
  }
}

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  return new RateLimiter(options);
}

function compile(settings: RateLimitSettings): Compiled {
  const policies = new Map<string, CompiledPolicy>();
  for (const [name, policy] of Object.entries(settings.policies)) {
    const shape = bucketShape(policy);
    const windowSeconds = Math.max(1, Math.round(shape.capacity / shape.refillPerMs / 1_000));
    policies.set(name, {
      info: {
        name,
        keyBy: policy.keyBy ?? 'ip',
        limit: policy.limit,
        windowSeconds: policy.windowSeconds ?? 60,
        burst: shape.capacity,
      },
      shape,
      windowSeconds,
      quotedName: sfString(name),
      policyHeader: policyHeaderValue(name, shape.capacity, windowSeconds),
    });
  }
  return { settings, policies };
}

function bucketKey(compiled: CompiledPolicy, route: string, key: string): string {
  return `${compiled.info.name}:${route}:${key}`;
}

// Object literals with every field, no spreads: this runs once per limited request.
function toDecision(route: string, compiled: CompiledPolicy, answer: StoreAnswer): RateLimitDecision {
  const policy = compiled.info.name;
  const limit = compiled.shape.capacity;
  const windowSeconds = compiled.windowSeconds;
  if (answer.kind === 'unavailable') {
    if (answer.verdict === 'allow') {
      return {
        allowed: true,
        route,
        policy,
        limit,
        windowSeconds,
        remaining: limit,
        resetSeconds: 0,
        retryAfterSeconds: 0,
        store: 'unavailable',
        headers: { [RATE_LIMIT_POLICY_HEADER]: compiled.policyHeader },
      };
    }
    const retryAfterSeconds = secondsCeil(answer.retryAfterMs);
    return {
      allowed: false,
      route,
      policy,
      limit,
      windowSeconds,
      remaining: 0,
      resetSeconds: retryAfterSeconds,
      retryAfterSeconds,
      store: 'unavailable',
      headers: {
        [RATE_LIMIT_POLICY_HEADER]: compiled.policyHeader,
        [RATE_LIMIT_HEADER]: limitHeaderValue(compiled.quotedName, 0, retryAfterSeconds),
        [RETRY_AFTER_HEADER]: String(retryAfterSeconds),
      },
    };
  }
  const { result, source } = answer;
  const resetSeconds = secondsCeil(result.resetMs);
  const limitHeader = limitHeaderValue(compiled.quotedName, result.remaining, resetSeconds);
  if (result.allowed) {
    // Literal keys (the values of RATE_LIMIT_POLICY_HEADER and RATE_LIMIT_HEADER): computed keys made this object slower to build and to walk.
    return {
      allowed: true,
      route,
      policy,
      limit,
      windowSeconds,
      remaining: result.remaining,
      resetSeconds,
      retryAfterSeconds: 0,
      store: source,
      headers: { 'ratelimit-policy': compiled.policyHeader, ratelimit: limitHeader },
    };
  }
  const retryAfterSeconds = secondsCeil(result.retryAfterMs);
  return {
    allowed: false,
    route,
    policy,
    limit,
    windowSeconds,
    remaining: result.remaining,
    resetSeconds,
    retryAfterSeconds,
    store: source,
    headers: {
      [RATE_LIMIT_POLICY_HEADER]: compiled.policyHeader,
      [RATE_LIMIT_HEADER]: limitHeader,
      [RETRY_AFTER_HEADER]: String(retryAfterSeconds),
    },
  };
}

function unlimited(route: string): RateLimitDecision {
  return {
    allowed: true,
    route,
    policy: undefined,
    limit: 0,
    windowSeconds: 0,
    remaining: 0,
    resetSeconds: 0,
    retryAfterSeconds: 0,
    store: 'none',
    headers: {},
  };
}
