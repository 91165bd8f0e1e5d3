/**
 * `RateLimitSettings`: named token-bucket policies, which route uses which,
 * and where buckets live (this process, or a Redis shared by every gateway
 * instance). The gateway embeds the schema in its config; `parseRateLimitSettings`
 * applies defaults and reports every problem at once.
 */
import Type, { type Static } from 'typebox';
import { ConfigError, type ConfigProblem } from '@flotilla/config';
import { parseAgainstSchema } from '@flotilla/config';

const strict = { additionalProperties: false } as const;

export const RATE_LIMIT_KEY_KINDS = ['ip', 'apiKey', 'subject'] as const;
export type RateLimitKeyBy = (typeof RATE_LIMIT_KEY_KINDS)[number];

export const RateLimitPolicyConfig = Type.Object(
  {
    /** Requests allowed per window once the bucket is drained (the refill rate is limit / windowSeconds). */
    limit: Type.Integer({ minimum: 1 }),
    // Optional with a documented default: TypeBox fills no defaults inside a Record, parseRateLimitSettings does.
    windowSeconds: Type.Optional(Type.Integer({ minimum: 1, default: 60 })),
    /** Bucket capacity: how many requests may arrive at once. Default: `limit`. */
    burst: Type.Optional(Type.Integer({ minimum: 1 })),
    /** Whose bucket a request takes from: client IP, API key, or the authenticated subject. */
    keyBy: Type.Optional(Type.Enum([...RATE_LIMIT_KEY_KINDS], { default: 'ip' })),
  },
  strict,
);

export const RateLimitStoreConfig = Type.Object(
  {
    kind: Type.Enum(['local', 'redis'], { default: 'local' }),
    /** redis://[:password@]host:port[/db]; required when kind is redis. */
    url: Type.Optional(Type.String({ minLength: 1 })),
    /** Prefix of every bucket key in Redis. */
    prefix: Type.String({ default: 'flotilla:rl:' }),
    /** Bound on one Redis decision (and on the first connection wait); past it the fallback decides. */
    timeoutMs: Type.Integer({ default: 100, minimum: 1 }),
    /** What decides while Redis cannot: in-process buckets, a 429, or no limit. */
    onStoreFailure: Type.Enum(['local', 'reject', 'allow'], { default: 'local' }),
    /** After a Redis failure, how long decisions skip Redis before trying it again. */
    recheckMs: Type.Integer({ default: 1_000, minimum: 10 }),
    /** Upper bound on in-process buckets (local store and fallback); least recently used go first. */
    maxLocalBuckets: Type.Integer({ default: 100_000, minimum: 1 }),
  },
  { ...strict, default: {} },
);

export const RateLimitSettings = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    /** Policies by name; the name appears in the RateLimit-Policy header and the 429 problem. */
    policies: Type.Record(Type.String(), RateLimitPolicyConfig, { default: {} }),
    /** Route name → policy name, for routes whose own config does not name one. */
    routes: Type.Record(Type.String(), Type.String(), { default: {} }),
    /** Policy for every other limited route; none: such routes are not limited. */
    defaultPolicy: Type.Optional(Type.String({ minLength: 1 })),
    store: RateLimitStoreConfig,
  },
  { ...strict, default: {} },
);

export type RateLimitPolicySettings = Static<typeof RateLimitPolicyConfig>;
export type RateLimitStoreSettings = Static<typeof RateLimitStoreConfig>;
export type RateLimitSettings = Static<typeof RateLimitSettings>;

/** Policy names go into a quoted Structured Field string and Redis keys: keep them plain. */
const POLICY_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** Defaults applied, schema and cross-references checked; throws ConfigError (code `validation`) listing every problem. */
export function parseRateLimitSettings(input: unknown, source = 'rate limit settings'): RateLimitSettings {
  const parsed = parseAgainstSchema('rate-limit', source, RateLimitSettings, input ?? {});
  const policies = Object.fromEntries(
    Object.entries(parsed.policies).map(([name, policy]) => [
      name,
      { ...policy, windowSeconds: policy.windowSeconds ?? 60, keyBy: policy.keyBy ?? 'ip' },
    ]),
  );
  const settings = { ...parsed, policies };
  const problems = rateLimitSettingsProblems(settings);
  if (problems.length > 0) throw new ConfigError('rate-limit', source, problems);
  return settings;
}

/** The rules a JSON schema cannot say: names, references, a Redis URL when the store is Redis. */
export function rateLimitSettingsProblems(settings: RateLimitSettings): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const name of Object.keys(settings.policies)) {
    if (!POLICY_NAME.test(name))
      problems.push({
        key: `policies.${name}`,
        value: name,
        rule: 'policy names are 1-64 letters, digits, "_", "." or "-"',
      });
  }
  for (const [route, policy] of Object.entries(settings.routes)) {
    if (settings.policies[policy] === undefined)
      problems.push({
        key: `routes.${route}`,
        value: policy,
        rule: `names no policy (known: ${Object.keys(settings.policies).join(', ') || 'none'})`,
      });
  }
  if (settings.defaultPolicy !== undefined && settings.policies[settings.defaultPolicy] === undefined) {
    problems.push({ key: 'defaultPolicy', value: settings.defaultPolicy, rule: 'names no policy' });
  }
  if (settings.store.kind === 'redis' && settings.store.url === undefined)
    problems.push({ key: 'store.url', value: undefined, rule: 'is required when store.kind is redis' });
  return problems;
}
