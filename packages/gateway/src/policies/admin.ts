/**
 * The gateway's admin endpoints, registered in the kit's encapsulated
 * `/admin` plugin, so the credential check covers exactly the admin routes
 * (`../admin/admin-auth.ts`: an admin JWT or API key in a header, or the
 * console's session cookie with its CSRF token):
 *
 * - `/admin/breakers` (each upstream's breaker state, reject probability and
 *   the reason it opened, bulkhead use, retry budget) and `/admin/limits`
 *   (rate-limit policies and the store's state);
 * - `/admin/session`: the console's login, session and logout;
 * - `/admin/config-centre/*`: the config centre (history, diff, validate,
 *   compare-and-set writes, rollback, export and import of a namespace);
 * - `/admin/log-levels`: every instance's log level, read and set;
 * - the kit's own `/admin/config`, `/admin/anomalies` and `/admin/log-level`.
 */
import type { HttpApp, ServiceContext } from '@flotilla/kit';
import { adminAuthHook } from '../admin/admin-auth.ts';
import { rememberAdminScope } from '../admin/admin-openapi.ts';
import { ConfigCentreAdmin } from '../admin/config-centre.ts';
import { registerConfigCentreRoutes } from '../admin/config-centre-routes.ts';
import { KnownNamespaces } from '../admin/config-namespaces.ts';
import { knownInstances } from '../admin/known-instances.ts';
import { registerLogLevelsRoutes } from '../admin/log-levels-routes.ts';
import { registerLiveViewRoutes } from '../admin/live-view-routes.ts';
import { registerSessionRoutes } from '../admin/session-routes.ts';
import { SessionStore } from '../admin/session-store.ts';
import type { GatewaySettings } from '../config.ts';
import type { Gateway } from '../gateway.ts';

export function registerAdminRoutes(admin: HttpApp, gateway: Gateway, context: ServiceContext<GatewaySettings>): void {
  const { policies } = gateway;
  const roles = () => policies.admin.roles;
  const sessions = new SessionStore();
  // A changed `auth` section (a key revoked, a secret rotated) ends every console session: log in again.
  const unsubscribe = context.reload.onChange('auth', () => sessions.clear());
  admin.addHook('onClose', (_instance, done) => {
    unsubscribe();
    sessions.clear();
    done();
  });
  admin.addHook('onRequest', adminAuthHook({ authenticator: policies.authenticator, roles, sessions }));
  rememberAdminScope(gateway, admin);

  admin.get('/breakers', async () => policies.guards.snapshot());
  admin.get('/limits', async () => policies.limiter.status());
  registerLiveViewRoutes(admin, gateway, context);
  registerSessionRoutes(admin, { authenticator: policies.authenticator, roles, sessions, logger: context.logger });
  registerConfigCentreRoutes(
    admin,
    new ConfigCentreAdmin(context.configStore, new KnownNamespaces(context.configStore, context.namespace), context.logger),
  );
  registerLogLevelsRoutes(admin, {
    logger: context.logger,
    self: {
      service: context.name,
      get id() {
        return context.discovery.registration?.registration?.instance.id;
      },
      get address() {
        const instance = context.discovery.registration?.registration?.instance;
        return instance?.ports.http === undefined ? undefined : `${instance.address}:${instance.ports.http}`;
      },
    },
    instances: () => knownInstances(context.discovery.registry, context.reload.current().upstreams),
  });
}
