/**
 * What `registry ls` needs from discovery, kept small so the command does not
 * depend on the registry's internals. The real source is
 * `@flotilla/kit/discovery` (createRegistry), loaded at run time: the import
 * is by name so the CLI builds even where discovery is not exported yet.
 */
import { UnavailableError } from '@flotilla/kit';

export interface RegistryInstance {
  id: string;
  service: string;
  address: string;
  ports: { http?: number; grpc?: number };
  version: string;
  region: string;
  zone: string;
  weight: number;
  health: string;
  metadata: Record<string, string>;
}

export interface RegistryLister {
  services(): Promise<string[]>;
  list(service: string): Promise<RegistryInstance[]>;
  close(): Promise<void>;
}

export interface RegistrySourceOptions {
  backend: 'local' | 'etcd' | 'kubernetes';
  namespace: string;
  dir?: string;
  etcdEndpoints: string;
  etcdPrefix: string;
  /** kubernetes: a kubeconfig (default $KUBECONFIG, in-cluster, ~/.kube/config) and the namespace whose EndpointSlices are read. */
  kubeconfig?: string;
  kubeNamespace?: string;
}

interface DiscoveryModule {
  createRegistry(settings: object, options: { namespace?: string }): RegistryLister;
}

export async function openRegistry(options: RegistrySourceOptions): Promise<RegistryLister> {
  // Loaded on demand: the other commands need neither etcd nor gRPC.
  const discovery = (await import('@flotilla/discovery')) as unknown as DiscoveryModule;
  const settings = {
    backend: options.backend,
    region: 'local',
    zone: 'local',
    local: { ...(options.dir === undefined ? {} : { dir: options.dir }), ttlMs: 5000, heartbeatMs: 1000 },
    etcd: { endpoints: options.etcdEndpoints, prefix: options.etcdPrefix, ttlSeconds: 10 },
    kubernetes: {
      ...(options.kubeconfig === undefined ? {} : { kubeconfig: options.kubeconfig }),
      ...(options.kubeNamespace === undefined ? {} : { namespace: options.kubeNamespace }),
    },
  };
  const registry = discovery.createRegistry(settings, { namespace: options.namespace });
  const where =
    options.backend === 'etcd'
      ? `etcd at ${options.etcdEndpoints}`
      : options.backend === 'kubernetes'
        ? 'the Kubernetes API'
        : 'the local registry';
  return {
    services: () => unreachableAsUnavailable(where, () => registry.services()),
    list: (service) => unreachableAsUnavailable(where, () => registry.list(service)),
    close: () => registry.close(),
  };
}

/** A backend that is down (the registry's `unavailable`, or a refused connection) means exit 5, not a crash. */
async function unreachableAsUnavailable<T>(where: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof UnavailableError) throw error;
    const code = (error as { code?: unknown }).code;
    if (code === 14 || code === 4 || code === 'ECONNREFUSED')
      throw new UnavailableError(`${where} is unavailable: ${(error as Error).message}`, { cause: error });
    throw error;
  }
}
