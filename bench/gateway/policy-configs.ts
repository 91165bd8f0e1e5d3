/**
 * The gateway configs policies.ts compares, and the bearer token its load
 * sends. Every config proxies the same `api` route to the same upstream; they
 * differ only in governance.
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
  routeYaml?: string;
  extraYaml: string;
}

/** (a) Nothing: no auth on the route, no limiter, no guard, no shedding — the proxy's direct path. */
export const POLICIES_OFF: PolicyVariant = {
  label: 'all policies off',
  name: 'gateway-off',
  extraYaml: `shedding: { enabled: false }
rateLimit: { enabled: false }
resilience:
  defaults:
    retry: { enabled: false }
    breaker: { enabled: false }
    bulkhead: { enabled: false }
`,
};

/**
 * (b)/(c) What the dev config ships, with a limit that never refuses: a JWT
 * with a role on the route (and the signed identity header to the upstream),
 * a token bucket per client IP, and every upstream call under deadline →
 * bulkhead → breaker → retry budget. Shedding stays at its default (on).
 */
export function policiesOn(store: { kind: 'local' } | { kind: 'redis'; url: string }): PolicyVariant {
  const storeYaml = store.kind === 'local' ? '{ kind: local }' : `{ kind: redis, url: '${store.url}', onStoreFailure: local }`;
  return {
    label: `auth + rate limit (${store.kind}) + breaker + retries + bulkhead`,
    name: `gateway-on-${store.kind}`,
    routeYaml: 'auth: { roles: [user] }',
    extraYaml: `auth:
  realm: flotilla-bench
  jwt: { issuer: ${ISSUER}, audience: ${AUDIENCE}, algorithms: [HS256], secret: ${JWT_SECRET} }
  identityHeader: { secret: ${IDENTITY_SECRET} }
rateLimit:
  defaultPolicy: api
  policies:
    api: { limit: 1000000000, windowSeconds: 1 }
  store: ${storeYaml}
resilience:
  defaults:
    timeoutMs: 10000
    retry: { maxAttempts: 3, baseDelayMs: 25, budget: { ratio: 0.2 } }
    breaker: { k: 2, minRequests: 20 }
    bulkhead: { maxConcurrent: 256, maxQueue: 256 }
`,
  };
}

const base64url = (value: string | Buffer): string => Buffer.from(value).toString('base64url');

/** An HS256 access token with the `user` role, valid for a day (the load sends it to every target). */
export function benchToken(nowSeconds = Math.floor(Date.now() / 1000)): string {
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const claims = base64url(JSON.stringify({ iss: ISSUER, aud: AUDIENCE, sub: 'bench-user', roles: ['user'], iat: nowSeconds, exp: nowSeconds + 86_400 }));
  const signature = base64url(createHmac('sha256', JWT_SECRET).update(`${header}.${claims}`).digest());
  return `${header}.${claims}.${signature}`;
}
