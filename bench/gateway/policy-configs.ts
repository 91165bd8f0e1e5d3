/**
 * The gateway configs policies.ts compares, and the bearer token its load
 * sends. Every config proxies the same `api` route to the same upstream; they
 * differ only in governance, which is put together from four parts:
 *
 * - auth: an HS256 JWT with the `user` role required on the route, and the
 *   signed identity header passed to the upstream;
 * - rate limit: a token bucket per client IP with a limit that never refuses
 *   (local, or in Redis with a generous 1 s bound on each decision so that a
 *   busy machine does not push decisions to the local fallback and
 *   understate the cost);
 * - guards: every upstream call under deadline → bulkhead → breaker → retry
 *   budget, with the dev config's settings;
 * - shedding: the kit's load shedder at its defaults.
 */
import { createHmac } from 'node:crypto';

/** Secrets for this bench only (HS256 and the identity header need ≥ 32 characters). */
const JWT_SECRET = 'bench-only-jwt-secret-0123456789abcdef';
const IDENTITY_SECRET = 'bench-only-identity-secret-0123456789abcdef';
const ISSUER = 'flotilla-bench';
const AUDIENCE = 'flotilla-api';

export interface PolicyVariant {
  /** Row label. */
  label: string;
  /** Gateway process name (config dir, log file). */
  name: string;
  parts: PolicyParts;
  routeYaml?: string;
  extraYaml: string;
}

export type RateLimitStore = { kind: 'local' } | { kind: 'redis'; url: string };

export interface PolicyParts {
  auth: boolean;
  rateLimit: RateLimitStore | false;
  guards: boolean;
  shedding: boolean;
}

const AUTH_YAML = `auth:
  realm: flotilla-bench
  jwt: { issuer: ${ISSUER}, audience: ${AUDIENCE}, algorithms: [HS256], secret: ${JWT_SECRET} }
  identityHeader: { secret: ${IDENTITY_SECRET} }
`;

function rateLimitYaml(store: RateLimitStore | false): string {
  if (store === false) return 'rateLimit: { enabled: false }\n';
  const storeYaml =
    store.kind === 'local' ? '{ kind: local }' : `{ kind: redis, url: '${store.url}', timeoutMs: 1000, onStoreFailure: local }`;
  return `rateLimit:
  defaultPolicy: api
  policies:
    api: { limit: 1000000000, windowSeconds: 1 }
  store: ${storeYaml}
`;
}

const GUARDS_ON = `resilience:
  defaults:
    timeoutMs: 10000
    retry: { maxAttempts: 3, baseDelayMs: 25, budget: { ratio: 0.2 } }
    breaker: { k: 2, minRequests: 20 }
    bulkhead: { maxConcurrent: 256, maxQueue: 256 }
`;

/** With these off (and no fault injection allowed outside dev) the proxy takes its direct, unguarded path. */
const GUARDS_OFF = `resilience:
  defaults:
    retry: { enabled: false }
    breaker: { enabled: false }
    bulkhead: { enabled: false }
`;

/** A gateway config from its parts; `label` and `name` describe which are on. */
export function policyVariant(parts: PolicyParts): PolicyVariant {
  const on: Array<[short: string, label: string]> = [];
  if (parts.auth) on.push(['auth', 'auth']);
  if (parts.rateLimit !== false)
    on.push([parts.rateLimit.kind === 'redis' ? 'limit_redis' : 'limit', `rate limit (${parts.rateLimit.kind})`]);
  if (parts.guards) on.push(['guards', 'breaker + retries + bulkhead']);
  if (parts.shedding) on.push(['shedding', 'shedding']);
  return {
    label: on.length === 0 ? 'all policies off' : on.map(([, label]) => label).join(' + '),
    name: `gateway-${on.length === 0 ? 'off' : on.map(([short]) => short).join('-')}`,
    parts,
    ...(parts.auth ? { routeYaml: 'auth: { roles: [user] }' } : {}),
    extraYaml:
      (parts.auth ? AUTH_YAML : '') +
      rateLimitYaml(parts.rateLimit) +
      (parts.guards ? GUARDS_ON : GUARDS_OFF) +
      `shedding: { enabled: ${parts.shedding} }\n`,
  };
}

/** (a) Nothing: no auth on the route, no limiter, no guard, no shedding. */
export const POLICIES_OFF = policyVariant({ auth: false, rateLimit: false, guards: false, shedding: false });

/** (b)/(c) Everything the dev config ships, with a limit that never refuses. */
export function policiesOn(store: RateLimitStore): PolicyVariant {
  return policyVariant({ auth: true, rateLimit: store, guards: true, shedding: true });
}

/** One part on at a time (--breakdown): which part costs what. */
export const SINGLE_PARTS: PolicyVariant[] = [
  policyVariant({ auth: true, rateLimit: false, guards: false, shedding: false }),
  policyVariant({ auth: false, rateLimit: { kind: 'local' }, guards: false, shedding: false }),
  policyVariant({ auth: false, rateLimit: false, guards: true, shedding: false }),
  policyVariant({ auth: false, rateLimit: false, guards: false, shedding: true }),
];

const base64url = (value: string | Buffer): string => Buffer.from(value).toString('base64url');

/** An HS256 access token with the `user` role, valid for a day (the load sends it to every target). */
export function benchToken(nowSeconds = Math.floor(Date.now() / 1000)): string {
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const claims = base64url(
    JSON.stringify({ iss: ISSUER, aud: AUDIENCE, sub: 'bench-user', roles: ['user'], iat: nowSeconds, exp: nowSeconds + 86_400 }),
  );
  const signature = base64url(createHmac('sha256', JWT_SECRET).update(`${header}.${claims}`).digest());
  return `${header}.${claims}.${signature}`;
}
