/**
 * The gateway's admin endpoints, all behind an admin credential (a JWT or
 * API key with one of `admin.roles`): `/admin/breakers` (each upstream's
 * breaker state, reject probability and the reason it opened, bulkhead use,
 * retry budget), `/admin/limits` (rate-limit policies and the store's state),
 * and the kit's own `/admin/config` and `/admin/anomalies`. Registered in the
 * kit's encapsulated `/admin` plugin, so the credential check covers exactly
 * the admin routes.
 */
import type { HttpApp } from '@flotilla/http';
import type { GatewayPolicies } from './gateway-policies.ts';

export function registerAdminRoutes(admin: HttpApp, policies: GatewayPolicies): void {
  admin.addHook('onRequest', async (request, reply) => {
    const result = await policies.authenticator.check(request.headers, { required: true, roles: policies.admin.roles });
    if (!('problem' in result)) return;
    if (result.wwwAuthenticate !== undefined) reply.header('www-authenticate', result.wwwAuthenticate);
    throw result.problem;
  });
  admin.get('/breakers', async () => policies.guards.snapshot());
  admin.get('/limits', async () => policies.limiter.status());
}
