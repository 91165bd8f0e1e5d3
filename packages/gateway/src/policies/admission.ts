/**
 * Whether a routed request may go on, decided before any upstream is
 * touched, cheapest check first: load shedding (no I/O), then the credential
 * (JWKS lookups are cached), then the rate limit (one Redis round trip with
 * the shared store). A refusal is a problem to send; an admission carries the
 * verified identity and the headers the client's answer must carry
 * (`RateLimit-Policy`/`RateLimit`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Identity } from '@flotilla/kit/http';
import { rateLimitKey } from '@flotilla/kit/resilience';
import type { GatewayProblem } from '../proxy/problem.js';
import type { GatewayPolicies } from './gateway-policies.js';
import type { RoutePolicy } from './settings.js';

export type Admission = { ok: true; identity: Identity | null; responseHeaders: string[] } | { ok: false; problem: GatewayProblem };

const ADMITTED: Admission = { ok: true, identity: null, responseHeaders: [] };

/** Synchronous when the route needs neither a credential nor a limit, so the plain proxy path stays promise-free. */
export function admit(policies: GatewayPolicies, route: RoutePolicy, req: IncomingMessage, res: ServerResponse, path: string): Admission | Promise<Admission> {
  const shedder = policies.shedder;
  if (shedder !== undefined) {
    const shed = shedder.shouldShed(path, route.priority);
    if (shed !== undefined) {
      return { ok: false, problem: { code: 'overloaded', detail: `The gateway is overloaded (${shed.reason}); try again later`, headers: ['retry-after', String(shed.retryAfterSeconds)] } };
    }
    // In flight from here until the response closes, like the requests Fastify serves.
    shedder.track(res);
  }
  const limit = route.rateLimit === false ? undefined : policies.limiter.policyFor(route.name, route.rateLimit);
  const authenticates = route.auth !== undefined || (limit !== undefined && limit.keyBy !== 'ip');
  if (!authenticates && limit === undefined) return ADMITTED;
  return admitAsync(policies, route, req, limit);
}

async function admitAsync(policies: GatewayPolicies, route: RoutePolicy, req: IncomingMessage, limit: ReturnType<GatewayPolicies['limiter']['policyFor']>): Promise<Admission> {
  let identity: Identity | null = null;
  if (route.auth !== undefined || (limit !== undefined && limit.keyBy !== 'ip')) {
    const result = route.auth === undefined ? await policies.authenticator.authenticate(req.headers) : await policies.authenticator.check(req.headers, route.auth);
    if ('problem' in result) {
      // Only a route that requires auth refuses; elsewhere a bad credential just means "key the limit by IP".
      if (route.auth !== undefined) return { ok: false, problem: { code: result.problem.code, detail: result.problem.message, ...(result.wwwAuthenticate === undefined ? {} : { headers: ['www-authenticate', result.wwwAuthenticate] }) } };
    } else {
      identity = result.identity;
    }
  }
  if (limit === undefined) return { ok: true, identity, responseHeaders: [] };
  const key = rateLimitKey(limit.keyBy, { ip: req.socket.remoteAddress, headers: req.headers }, identity === null ? undefined : { subject: identity.subject, ...(identity.method === 'apiKey' ? { apiKeyId: identity.subject } : {}) });
  // In-process buckets answer at once; only a shared store (Redis) needs the await.
  const decision = policies.limiter.checkNow(route.name, key, limit.name) ?? (await policies.limiter.check(route.name, key, limit.name));
  const headers: string[] = [];
  for (const name in decision.headers) headers.push(name, decision.headers[name] as string);
  if (!decision.allowed) {
    return { ok: false, problem: { code: 'rate-limited', detail: `Rate limit "${decision.policy ?? limit.name}" exceeded; retry in ${decision.retryAfterSeconds} s`, extensions: { policy: decision.policy, retryAfter: decision.retryAfterSeconds }, headers } };
  }
  return { ok: true, identity, responseHeaders: headers };
}
