/**
 * Choosing a backend by configuration alone: the `discovery` config section
 * (DiscoveryConfig) and createRegistry(). `local` needs nothing; `etcd`
 * needs endpoints (and credentials or TLS files when etcd asks for them);
 * `kubernetes` a kubeconfig or the pod's service account; `auto` is
 * kubernetes when KUBERNETES_SERVICE_HOST is set (in a pod), else local.
 * Switch a whole system with `discovery.backend: etcd` in
 * config/<ns>/shared.yaml, or one service with
 * FLOTILLA_<SERVICE>__DISCOVERY__BACKEND=etcd.
 */
import { join } from 'node:path';
import type { DiscoverySettings } from './config.ts';
import { EtcdRegistry } from './etcd/etcd-registry.ts';
import { etcdRegistryOptions } from './etcd/registry-settings.ts';
import { createKubernetesRegistry } from './kubernetes/kubernetes-registry.ts';
import { LocalRegistry } from './local/local-registry.ts';
import type { Registry, RegistryBackend } from './types.ts';

export { DiscoveryConfig, type DiscoverySettings } from './config.ts';

export interface CreateRegistryOptions {
  /** Default `$FLOTILLA_ENV` or `dev`. */
  namespace?: string;
  /** State folder for the local backend when `local.dir` is not set (default `$FLOTILLA_HOME` or `./.flotilla`). */
  home?: string;
  /** Decides `auto` and finds in-cluster credentials (default process.env). */
  env?: Record<string, string | undefined>;
  /** kubernetes: where watch failures are reported. */
  logger?: { info(object: object, message: string): void; warn(object: object, message: string): void };
}

/** `auto` resolved: kubernetes inside a pod (KUBERNETES_SERVICE_HOST is set), local elsewhere. */
export function registryBackend(
  settings: Pick<DiscoverySettings, 'backend'>,
  env: Record<string, string | undefined> = process.env,
): RegistryBackend {
  if (settings.backend !== 'auto') return settings.backend;
  return env.KUBERNETES_SERVICE_HOST ? 'kubernetes' : 'local';
}

export function createRegistry(settings: DiscoverySettings, options: CreateRegistryOptions = {}): Registry {
  const namespace = options.namespace === undefined ? {} : { namespace: options.namespace };
  const backend = registryBackend(settings, options.env);
  if (backend === 'kubernetes') {
    const kube = settings.kubernetes ?? {};
    return createKubernetesRegistry({
      region: settings.region,
      ...(kube.kubeconfig === undefined ? {} : { kubeconfig: kube.kubeconfig }),
      ...(kube.namespace === undefined ? {} : { namespace: kube.namespace }),
      ...(options.env === undefined ? {} : { env: options.env }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
  }
  if (backend === 'etcd') {
    return new EtcdRegistry({ ...etcdRegistryOptions(settings.etcd), ...namespace });
  }
  return new LocalRegistry({
    ...(settings.local.dir !== undefined
      ? { dir: settings.local.dir }
      : options.home !== undefined
        ? { dir: join(options.home, 'registry') }
        : {}),
    ttlMs: settings.local.ttlMs,
    heartbeatMs: settings.local.heartbeatMs,
    ...namespace,
  });
}
