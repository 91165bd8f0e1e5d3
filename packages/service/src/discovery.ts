/**
 * A service's view of discovery, built by defineService from the `discovery`
 * config section: the registry (local or etcd), shared balancers for calling
 * peers over HTTP and gRPC, and this process's own registration, made once its
 * listeners are up and removed first thing on a graceful stop.
 */
import { resolve } from 'node:path';
import type { ConfigReload } from '@flotilla/config';
import type { DiscoverySettings } from '@flotilla/discovery';
import { createRegistry } from '@flotilla/discovery';
import { discoveryResolver, type DiscoveryResolver } from '@flotilla/discovery';
import { ServiceBalancers } from '@flotilla/discovery';
import { startRegistration, type RunningRegistration } from '@flotilla/discovery';
import type { InstancePorts, Registry } from '@flotilla/discovery';

export interface ServiceDiscovery {
  readonly registry: Registry;
  /** Where this process runs (from `discovery.region` / `discovery.zone`): balancers prefer peers there. */
  readonly locality: { region: string; zone: string };
  /** Shared HTTP balancers (P2C, locality, passive ejection): `const picked = http.pick('users'); … picked.done({ ok })`. */
  readonly http: ServiceBalancers;
  /** gRPC resolver for `createGrpcClient(Client, 'users', { resolve: discovery.grpc })`: an instance per call. */
  readonly grpc: DiscoveryResolver;
  /** This process's registration once its listeners are up; undefined before, or with `discovery.register: false`. */
  readonly registration: RunningRegistration | undefined;
}

interface DiscoveryLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}

export interface OpenServiceDiscoveryOptions {
  service: string;
  version: string;
  namespace: string;
  settings: DiscoverySettings;
  env: Record<string, string | undefined>;
  logger: DiscoveryLogger;
}

/** Where this process listens, as the listeners were actually bound. */
export interface ListenerAddresses {
  ports: InstancePorts;
  /** Hosts the listeners were bound to (0.0.0.0 and :: mean every interface). */
  hosts: string[];
}

export interface OpenedServiceDiscovery {
  readonly discovery: ServiceDiscovery;
  /** Registers this instance (once; later calls are no-ops). */
  register(listeners: ListenerAddresses, reload: ConfigReload): Promise<void>;
  /** Deregisters, bounded by `timeoutMs` (the entry expires by itself if the registry is unreachable). */
  deregister(timeoutMs: number): Promise<void>;
  /** Stops watching and closes the registry (after the listeners are closed). */
  close(): Promise<void>;
}

const ANY_HOST = new Set(['0.0.0.0', '::', '']);

export function openServiceDiscovery(options: OpenServiceDiscoveryOptions): OpenedServiceDiscovery {
  const { settings, logger } = options;
  // The same state folder as the file config centre: the service's own environment decides it.
  const home = resolve(options.env.FLOTILLA_HOME ?? '.flotilla');
  const registry = createRegistry(settings, { namespace: options.namespace, home, env: options.env, logger });
  const locality = { region: settings.region, zone: settings.zone };
  const http = new ServiceBalancers(registry, { port: 'http', locality });
  const grpc = discoveryResolver(registry, { locality });
  let running: RunningRegistration | undefined;
  let registering: Promise<void> | undefined;
  let unsubscribe: (() => void) | undefined;

  const discovery: ServiceDiscovery = {
    registry,
    locality,
    http,
    grpc,
    get registration() {
      return running;
    },
  };

  return {
    discovery,
    register(listeners, reload) {
      if (registering !== undefined) return registering;
      if (!settings.register || (listeners.ports.http === undefined && listeners.ports.grpc === undefined)) return Promise.resolve();
      registering = (async () => {
        running = await startRegistration({
          registry,
          logger,
          instance: {
            service: options.service,
            address: settings.advertiseAddress ?? advertisedHost(listeners.hosts),
            ports: listeners.ports,
            version: options.version,
            region: settings.region,
            zone: settings.zone,
            weight: settings.weight,
            health: 'serving',
          },
        });
        const registration = running;
        unsubscribe = reload.onChange('discovery.weight', (weight) => {
          void registration.registered
            .then((r) => r.update({ weight: weight as number }))
            .catch((error: unknown) =>
              logger.warn({ event: { action: 'registration-update-failed' }, err: error }, 'could not publish the new weight'),
            );
        });
      })();
      return registering;
    },
    async deregister(timeoutMs) {
      unsubscribe?.();
      if (running === undefined) return;
      let timer: NodeJS.Timeout | undefined;
      const gaveUp = new Promise<'timeout'>((done) => (timer = setTimeout(() => done('timeout'), timeoutMs)));
      const outcome = await Promise.race([
        running.stop().then(
          () => 'done' as const,
          () => 'failed' as const,
        ),
        gaveUp,
      ]);
      clearTimeout(timer);
      if (outcome !== 'done')
        logger.warn(
          { event: { action: 'deregistration-failed' } },
          `could not deregister from the ${registry.backend} registry; the entry expires by itself`,
        );
    },
    async close() {
      grpc.close();
      http.close();
      await registry.close();
    },
  };
}

/** The first specific listener host, else loopback (one machine); set `discovery.advertiseAddress` for others. */
function advertisedHost(hosts: string[]): string {
  return hosts.find((host) => !ANY_HOST.has(host)) ?? '127.0.0.1';
}
