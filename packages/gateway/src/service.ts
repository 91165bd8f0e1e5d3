/**
 * The gateway as a kit service: config layering, ECS logs, problem+json,
 * health, graceful shutdown come from `defineService`. It is declared per
 * start because a reload must read the same config folder, namespace and
 * environment the start was given.
 */
import { resolve } from 'node:path';
import { defineService, runMain, resolveNamespace, type RunningService, type Service, type StartOptions } from '@flotilla/kit';
import { GatewayConfig, type GatewaySettings } from './config.js';
import { Gateway } from './gateway.js';
import type { ResolverFactory } from './upstream/resolver.js';

export const GATEWAY_VERSION = '0.1.0';

export interface GatewayStartOptions extends StartOptions {
  /** Replaces the static upstream map (the discovery issue plugs in here). */
  resolverFactory?: ResolverFactory;
}

function declareGateway(options: GatewayStartOptions) {
  const env = options.env ?? process.env;
  return defineService({
    name: 'gateway',
    version: GATEWAY_VERSION,
    description: 'Flotilla API gateway: declarative routes, streaming proxy, parallel aggregation.',
    config: GatewayConfig,
    setup: ({ config, logger, namespace }) =>
      new Gateway({
        settings: config,
        logger,
        version: GATEWAY_VERSION,
        source: { dir: resolve(options.configDir ?? env.FLOTILLA_CONFIG_DIR ?? 'config'), namespace: resolveNamespace(env, options.namespace ?? namespace), env },
        ...(options.resolverFactory === undefined ? {} : { resolverFactory: options.resolverFactory }),
      }),
    http: (app, gateway) => gateway.attach(app),
    close: (gateway) => gateway.close(),
  });
}

export const gatewayService: Service<GatewaySettings, Gateway> & { start(options?: GatewayStartOptions): Promise<RunningService<GatewaySettings, Gateway>> } = {
  name: 'gateway',
  start: (options: GatewayStartOptions = {}) => declareGateway(options).start(options),
  main: () => runMain(gatewayService),
  migrate: async () => ({ applied: [] }),
};
