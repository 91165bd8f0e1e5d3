// @flotilla/kit/discovery: service registry (local files, etcd or Kubernetes EndpointSlices), live instance sets, client-side balancing.
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
} from './types.ts';
export {
  instanceFromSpec,
  instanceTarget,
  newInstanceId,
  parseInstance,
  InvalidInstanceError,
  DEFAULT_REGION,
  DEFAULT_ZONE,
  DEFAULT_WEIGHT,
} from './instance.ts';
export { LiveInstanceSet } from './instance-set.ts';
export { LocalRegistry, flotillaHome, type LocalRegistryOptions } from './local/local-registry.ts';
export { EtcdRegistry, type EtcdRegistryOptions } from './etcd/etcd-registry.ts';
export { EtcdAccessError } from './etcd/access-error.ts';
export type { EtcdCredentials, EtcdTlsFiles } from './etcd/etcd-client.ts';
export type { RegistrationEvent } from './etcd/leased-key.ts';
export {
  KubernetesRegistry,
  createKubernetesRegistry,
  type KubernetesRegistryOptions,
} from './kubernetes/kubernetes-registry.ts';
export {
  instancesFromSlices,
  SERVICE_NAME_LABEL,
  type EndpointSlice,
  type Endpoint,
  type EndpointPort,
} from './kubernetes/endpoint-slices.ts';
export {
  createRegistry,
  registryBackend,
  DiscoveryConfig,
  type DiscoverySettings,
  type CreateRegistryOptions,
} from './create-registry.ts';
export { startRegistration, type StartRegistrationOptions, type RunningRegistration } from './start-registration.ts';
export { ServiceBalancers, type ServiceBalancersOptions } from './service-balancers.ts';
export { discoveryResolver, type DiscoveryResolver, type DiscoveryResolverOptions } from './grpc-resolver.ts';
export * from './balancer/index.ts';
