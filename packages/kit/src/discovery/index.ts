// @flotilla/kit/discovery: service registry (local files or etcd), live instance sets, client-side balancing.
export type {
  Instance,
  InstanceSpec,
  InstancePorts,
  InstanceHealth,
  InstanceUpdate,
  InstanceChange,
  InstanceSet,
  InstanceSetStatus,
  Registration,
  Registry,
  RegistryBackend,
} from './types.js';
export { instanceFromSpec, instanceTarget, newInstanceId, parseInstance, InvalidInstanceError, DEFAULT_REGION, DEFAULT_ZONE, DEFAULT_WEIGHT } from './instance.js';
export { LiveInstanceSet } from './instance-set.js';
export { LocalRegistry, flotillaHome, type LocalRegistryOptions } from './local/local-registry.js';
export { EtcdRegistry, type EtcdRegistryOptions } from './etcd/etcd-registry.js';
export { EtcdClient, type EtcdClientOptions, type KeyValue } from './etcd/client.js';
export { watchPrefix, type PrefixEvent, type PrefixWatch, type PrefixWatchHandlers } from './etcd/prefix-watcher.js';
export { createRegistry, DiscoveryConfig, type DiscoverySettings, type CreateRegistryOptions } from './create-registry.js';
export { startRegistration, type StartRegistrationOptions, type RunningRegistration } from './start-registration.js';
export { ServiceBalancers, type ServiceBalancersOptions } from './service-balancers.js';
export { discoveryResolver, type DiscoveryResolver, type DiscoveryResolverOptions } from './grpc-resolver.js';
export * from './balancer/index.js';
