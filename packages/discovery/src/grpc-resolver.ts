/**
 * discoveryResolver: plugs the registry and a balancer into createGrpcClient.
 *
 *   const resolve = discoveryResolver(registry, { locality: { region, zone } });
 *   const users = createGrpcClient(UserServiceClient, 'users', { resolve });
 *
 * Every call picks a healthy `grpc` instance (P2C by default, zone/region
 * first), runs on that instance's pooled channel, and reports its outcome
 * (UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL, UNKNOWN, DATA_LOSS count as
 * failures) so slow instances are avoided and failing ones ejected. No
 * instance: the call rejects with NoInstanceError (an UnavailableError).
 */
import type { GrpcTargetPicker } from '@flotilla/grpc';
import type { BalancerOptions } from './balancer/types.ts';
import { ServiceBalancers } from './service-balancers.ts';
import type { Registry } from './types.ts';

export interface DiscoveryResolverOptions extends Omit<BalancerOptions, 'port'> {
  /** How long the first calls wait for a service's first listing before failing with NoInstanceError (default 3000). */
  waitForInstancesMs?: number;
}

export interface DiscoveryResolver {
  (serviceName: string): GrpcTargetPicker;
  /** The balancers behind it (stats for `flotilla registry ls`, tests). */
  readonly balancers: ServiceBalancers;
  /** Stops watching every service. */
  close(): void;
}

export function discoveryResolver(registry: Registry, options: DiscoveryResolverOptions = {}): DiscoveryResolver {
  const { waitForInstancesMs = 3000, ...balancerOptions } = options;
  const balancers = new ServiceBalancers(registry, { ...balancerOptions, port: 'grpc' });
  const resolve = (serviceName: string): GrpcTargetPicker => {
    balancers.entry(serviceName); // start watching now, not at the first call
    return {
      ready: balancers.ready(serviceName, waitForInstancesMs),
      pick: () => {
        const picked = balancers.pick(serviceName);
        return { target: picked.target!, done: (outcome) => picked.done(outcome) };
      },
    };
  };
  return Object.assign(resolve, { balancers, close: () => balancers.close() });
}
