/**
 * Whether a routed request may go on, decided before any upstream is
 * touched, cheapest check first: load shedding (no I/O), then the credential
 * (JWKS lookups are cached), then the rate limit (one Redis round trip with
 * the shared store). A refusal is a problem to send; an admission carries the
 * verified identity and the headers the client's answer must carry
 * (`RateLimit-Policy`/`RateLimit`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthenticateResult, Identity } from '@flotilla/kit/http';
import { rateLimitKey, type RateLimitDecision } from '@flotilla/kit/resilience';
import type { GatewayProblem } from '../proxy/problem.ts';
import type { GatewayPolicies } from './gateway-policies.ts';
import type { RoutePolicy } from './settings.ts';

export type Admission = { ok: true; identity: Identity | null; responseHeaders: string[] } | { ok: false; problem: GatewayProblem };

const ADMITTED: Admission = { ok: true, identity: null, responseHeaders: [] };

/**
 * Synchronous whenever nothing needs I/O: no credential or limit on the
 * route, or a credential already verified (or an API key) and in-process
 * rate-limit buckets. A promise only for a token seen for the first time
 * (signature check, maybe a JWKS fetch) or a limit kept in Redis.
 */
export function admit(
  policies: GatewayPolicies,
  route: RoutePolicy,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Admission | Promise<Admission> {
  const shedder = policies.shedder;
  if (shedder !== undefined) {
    const shed = shedder.shouldShed(path, route.priority);
    if (shed !== undefined) {
      return {
        ok: false,
        problem: {
          code: 'overloaded',
          detail: `The gateway is overloaded (${shed.reason}); try again later`,
          headers: ['retry-after', String(shed.retryAfterSeconds)],
        },
      };
    }
    // In flight from here until the response closes, like the requests Fastify serves.
    shedder.track(res);
  }
  const limit = route.rateLimit === false ? undefined : policies.limiter.policyFor(route.name, route.rateLimit);
  const authenticates = route.auth !== undefined || (limit !== undefined && limit.keyBy !== 'ip');
  if (!authenticates && limit === undefined) return ADMITTED;
  if (!authenticates) return limited(policies, route, req, limit as LimitPolicy, null);
  const authenticator = policies.authenticator;
  const known = route.auth === undefined ? authenticator.authenticateNow(req.headers) : authenticator.checkNow(req.headers, route.auth);
  if (known !== undefined) return authenticated(policies, route, req, limit, known);
  const verifying = route.auth === undefined ? authenticator.authenticate(req.headers) : authenticator.check(req.headers, route.auth);
  return verifying.then((result) => authenticated(policies, route, req, limit, result));
}

type LimitPolicy = NonNullable<ReturnType<GatewayPolicies['limiter']['policyFor']>>;

function authenticated(
  policies: GatewayPolicies,
  route: RoutePolicy,
  req: IncomingMessage,
  limit: LimitPolicy | undefined,
  result: AuthenticateResult,
): Admission | Promise<Admission> {
  let identity: Identity | null = null;
  if ('problem' in result) {
    // Only a route that requires auth refuses; elsewhere a bad credential just means "key the limit by IP".
    if (route.auth !== undefined)
      return {
        ok: false,
        problem: {
          code: result.problem.code,
          detail: result.problem.message,
          ...(result.wwwAuthenticate === undefined ? {} : { headers: ['www-authenticate', result.wwwAuthenticate] }),
        },
      };
  } else {
    identity = result.identity;
  }
  if (limit === undefined) return identity === null ? ADMITTED : { ok: true, identity, responseHeaders: [] };
  return limited(policies, route, req, limit, identity);
}

function limited(
  policies: GatewayPolicies,
  route: RoutePolicy,
  req: IncomingMessage,
  limit: LimitPolicy,
  identity: Identity | null,
): Admission | Promise<Admission> {
  const key = rateLimitKey(
    limit.keyBy,
    { ip: req.socket.remoteAddress, headers: req.headers },
    identity === null ? undefined : { subject: identity.subject, ...(identity.method === 'apiKey' ? { apiKeyId: identity.subject } : {}) },
  );
  // In-process buckets answer at once; only a shared store (Redis) needs the wait.
  const decision = policies.limiter.checkNow(route.name, key, limit.name);
  if (decision !== undefined) return decided(decision, limit, identity);
  return policies.limiter.check(route.name, key, limit.name).then((later) => decided(later, limit, identity));
}

function decided(decision: RateLimitDecision, limit: LimitPolicy, identity: Identity | null): Admission {
  const headers: string[] = [];
  for (const name in decision.headers) headers.push(name, decision.headers[name] as string);
  if (!decision.allowed) {
    return {
      ok: false,
      problem: {
        code: 'rate-limited',
        detail: `Rate limit "${decision.policy ?? limit.name}" exceeded; retry in ${decision.retryAfterSeconds} s`,
        extensions: { policy: decision.policy, retryAfter: decision.retryAfterSeconds },
        headers,
      },
    };
  }
  return { ok: true, identity, responseHeaders: headers };
}
