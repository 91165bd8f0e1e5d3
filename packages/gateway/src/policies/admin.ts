/**
 * The gateway's admin endpoints, all behind an admin credential (a JWT or
 * API key with one of `admin.roles`): `/admin/breakers` (each upstream's
 * breaker state, reject probability and the reason it opened, bulkhead use,
 * retry budget), `/admin/limits` (rate-limit policies and the store's state),
 * and the kit's own `/admin/config` and `/admin/anomalies`.
 */
import type { HttpApp } from '@flotilla/kit/http';
import type { GatewayPolicies } from './gateway-policies.ts';

export function registerAdminRoutes(app: HttpApp, policies: GatewayPolicies): void {
  app.addHook('onRequest', async (request, reply) => {
    if (request.url !== '/admin' && !request.url.startsWith('/admin/')) return;
    const result = await policies.authenticator.check(request.headers, { required: true, roles: policies.admin.roles });
    if (!('problem' in result)) return;
    if (result.wwwAuthenticate !== undefined) reply.header('www-authenticate', result.wwwAuthenticate);
    throw result.problem;
  });
  app.get('/admin/breakers', async () => policies.guards.snapshot());
  app.get('/admin/limits', async () => policies.limiter.status());
}
