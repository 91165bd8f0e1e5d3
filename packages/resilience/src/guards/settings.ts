/**
 * ResilienceSettings: the TypeBox schema of the `resilience` config section
 * (put it in a service's or the gateway's config schema), and how one
 * upstream's effective policy is worked out from it:
 *
 *     built-in defaults  <  resilience.defaults  <  resilience.upstreams.<name>
 *
 * merged section by section (a fault's `delay` or `abort` is replaced whole).
 * Every key is optional, so a config names only what it changes.
 */
import Type, { type Static } from 'typebox';
import { parseAgainstSchema } from '@flotilla/config';
import { ConfigError } from '@flotilla/config';
import { BREAKER_DEFAULTS, type BreakerSettings } from '../breaker.ts';
import { BULKHEAD_DEFAULTS, type BulkheadSettings } from '../bulkhead.ts';
import { FaultConfig } from '../fault/fault-config.ts';
import type { FaultRules } from '../fault/fault-spec.ts';
import { RETRY_BUDGET_DEFAULTS } from '../retry-budget.ts';
import { RETRY_DEFAULTS, type RetrySettings } from '../retry-policy.ts';

const strict = { additionalProperties: false } as const;

export const RetryBudgetConfig = Type.Object(
  {
    ratio: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    minRetriesPerSecond: Type.Optional(Type.Number({ minimum: 0 })),
    windowMs: Type.Optional(Type.Integer({ minimum: 1_000 })),
  },
  strict,
);

export const RetryConfig = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean()),
    maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })),
    baseDelayMs: Type.Optional(Type.Integer({ minimum: 0 })),
    maxDelayMs: Type.Optional(Type.Integer({ minimum: 0 })),
    minAttemptMs: Type.Optional(Type.Integer({ minimum: 0 })),
    budget: Type.Optional(RetryBudgetConfig),
  },
  strict,
);

export const BreakerConfig = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean()),
    k: Type.Optional(Type.Number({ minimum: 1 })),
    windowMs: Type.Optional(Type.Integer({ minimum: 1_000 })),
    minRequests: Type.Optional(Type.Integer({ minimum: 1 })),
    openAt: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
  },
  strict,
);

export const BulkheadConfig = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean()),
    maxConcurrent: Type.Optional(Type.Integer({ minimum: 1 })),
    maxQueue: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  strict,
);

export const UpstreamPolicyConfig = Type.Object(
  {
    /** Cap on each call's deadline (the caller's deadline still wins when earlier). */
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1 })),
    retry: Type.Optional(RetryConfig),
    breaker: Type.Optional(BreakerConfig),
    bulkhead: Type.Optional(BulkheadConfig),
    fault: Type.Optional(FaultConfig),
  },
  strict,
);

export const FaultPermissionConfig = Type.Object(
  {
    /** Honour `x-flotilla-fault`; default true in `dev`, false elsewhere. */
    headerEnabled: Type.Optional(Type.Boolean()),
    /** Without it, any fault injection configured in `prod` is refused. */
    allowInProd: Type.Optional(Type.Boolean()),
  },
  strict,
);

export const ResilienceSettings = Type.Object(
  {
    defaults: Type.Optional(UpstreamPolicyConfig),
    /** Keyed by upstream name (letters, digits, `.`, `_`, `:`, `-`). */
    upstreams: Type.Optional(Type.Record(Type.String(), UpstreamPolicyConfig)),
    faults: Type.Optional(FaultPermissionConfig),
  },
  { ...strict, default: {} },
);

export { FaultConfig };
export type ResilienceSettings = Static<typeof ResilienceSettings>;
export type UpstreamPolicyConfig = Static<typeof UpstreamPolicyConfig>;

/** One upstream's policy with every value filled in. */
export interface UpstreamPolicy {
  timeoutMs: number;
  retry: RetrySettings & { enabled: boolean; budget: { ratio: number; minRetriesPerSecond: number; windowMs: number } };
  breaker: BreakerSettings & { enabled: boolean };
  bulkhead: BulkheadSettings & { enabled: boolean };
  fault: FaultRules;
}

export const DEFAULT_UPSTREAM_POLICY: UpstreamPolicy = {
  timeoutMs: 5_000,
  retry: {
    enabled: true,
    ...RETRY_DEFAULTS,
    budget: {
      ratio: RETRY_BUDGET_DEFAULTS.ratio,
      minRetriesPerSecond: RETRY_BUDGET_DEFAULTS.minRetriesPerSecond,
      windowMs: RETRY_BUDGET_DEFAULTS.windowMs,
    },
  },
  breaker: { enabled: true, ...BREAKER_DEFAULTS },
  bulkhead: { enabled: true, ...BULKHEAD_DEFAULTS },
  fault: {},
};

/** Validates (and type-converts) a `resilience` section; a ConfigError (`validation`) lists every problem. */
export function parseResilienceSettings(input: unknown, source = 'resilience settings'): ResilienceSettings {
  const settings = parseAgainstSchema('resilience', source, ResilienceSettings, input ?? {});
  // Checked here: TypeBox's defaulting trips over a pattern-keyed record that forbids other keys.
  const badNames = Object.keys(settings.upstreams ?? {}).filter((name) => !UPSTREAM_NAME.test(name));
  if (badNames.length > 0) {
    throw new ConfigError(
      'resilience',
      source,
      badNames.map((name) => ({
        key: `upstreams.${name}`,
        value: name,
        rule: 'an upstream name is letters, digits, ".", "_", ":" or "-"',
      })),
    );
  }
  return settings;
}

const UPSTREAM_NAME = /^[A-Za-z0-9._:-]+$/;

/** The effective policy of `upstream`. */
export function resolveUpstreamPolicy(settings: ResilienceSettings, upstream: string): UpstreamPolicy {
  return [settings.defaults, settings.upstreams?.[upstream]].reduce<UpstreamPolicy>(overlay, DEFAULT_UPSTREAM_POLICY);
}

function overlay(base: UpstreamPolicy, config: UpstreamPolicyConfig | undefined): UpstreamPolicy {
  if (config === undefined) return base;
  const { budget, ...retry } = config.retry ?? {};
  return {
    timeoutMs: config.timeoutMs ?? base.timeoutMs,
    retry: { ...base.retry, ...defined(retry), budget: { ...base.retry.budget, ...defined(budget ?? {}) } },
    breaker: { ...base.breaker, ...defined(config.breaker ?? {}) },
    bulkhead: { ...base.bulkhead, ...defined(config.bulkhead ?? {}) },
    fault: { ...base.fault, ...defined(config.fault ?? {}) },
  };
}

function defined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
