/**
 * The gateway as a kit service: config layering, the config centre's hot
 * reload, discovery, ECS logs, problem+json, health and graceful shutdown come
 * from `defineService`. Routes, aggregations, upstreams, route timeouts and
 * balancing follow `context.reload`; upstreams without static `instances` are
 * found through `context.discovery`.
 */
import { defineService, runMain, type RunningService, type Service, type StartOptions } from '@flotilla/kit';
import { GatewayConfig, type GatewaySettings } from './config.ts';
import { Gateway } from './gateway.ts';
import { withAdminOperations } from './admin/admin-openapi.ts';
import { registerAdminRoutes } from './policies/admin.ts';
import { consoleStaticDir } from '@flotilla/console';
import { registerConsole } from './console/plugin.ts';

export const GATEWAY_VERSION = '0.1.0';

const declaredGateway = defineService({
  name: 'gateway',
  version: GATEWAY_VERSION,
  description: 'Flotilla API gateway: declarative routes, streaming proxy, parallel aggregation.',
  config: GatewayConfig,
  setup: async ({ config, logger, namespace, reload, discovery, telemetry, auth }) => {
    const gateway = new Gateway({
      settings: config,
      logger,
      namespace,
      version: GATEWAY_VERSION,
      telemetry,
      reload,
      discovery,
      authenticator: auth,
    });
    // Serve only once the instances of discovered upstreams are known (bounded: a registry that is down must not block the start).
    await gateway.ready(config.balancing.waitForInstancesMs);
    return gateway;
  },
  http: async (app, gateway, { config, logger }) => {
    gateway.attach(app);
    if (config.console.enabled) await registerConsole(app, { staticDir: consoleStaticDir(), logger });
  },
  admin: (admin, gateway, context) => registerAdminRoutes(admin, gateway, context),
  // The routed services' operations, and the gateway's own admin API.
  openapi: (gateway) => async () => withAdminOperations(await gateway.openapi.document(), gateway),
  close: (gateway) => gateway.close(),
});

export const gatewayService: Service<GatewaySettings, Gateway> & {
  start(options?: StartOptions): Promise<RunningService<GatewaySettings, Gateway>>;
} = {
  name: 'gateway',
  start: (options: StartOptions = {}) => declaredGateway.start(options),
  main: () => runMain(gatewayService),
  migrate: async () => ({ applied: [] }),
};
