/**
 * Picking a store from settings or the environment. The centre cannot be
 * configured through itself, so services read its location from variables:
 *
 *   FLOTILLA_CONFIG_BACKEND         file (default) | etcd | kubernetes
 *   FLOTILLA_CONFIG_ETCD_ENDPOINTS  http://127.0.0.1:2379[,http://…]
 *   FLOTILLA_CONFIG_ETCD_PREFIX     /flotilla/config (default)
 *   FLOTILLA_CONFIG_KUBECONFIG      a kubeconfig (default: $KUBECONFIG, else in-cluster credentials, else ~/.kube/config)
 *   FLOTILLA_CONFIG_KUBE_NAMESPACE  the Kubernetes namespace of the ConfigMaps (default: the pod's / the context's)
 *   FLOTILLA_CONFIG_DIR, FLOTILLA_HOME   folders of the file backend
 */
import { ValidationError } from '@flotilla/core';
import { createEtcdConfigStore } from './etcd-store.ts';
import { FileConfigStore } from './file-store.ts';
import { createKubernetesConfigStore } from './kubernetes-store.ts';
import type { ConfigBackend, ConfigStore } from './types.ts';

export interface ConfigStoreSettings {
  backend?: ConfigBackend;
  etcdEndpoints?: string[];
  etcdPrefix?: string;
  /** kubernetes: a kubeconfig file; without one, $KUBECONFIG, in-cluster credentials, ~/.kube/config. */
  kubeconfig?: string;
  /** kubernetes: the namespace holding the ConfigMaps. */
  kubeNamespace?: string;
  configDir?: string;
  home?: string;
  env?: Record<string, string | undefined>;
  /** File backend: watcher poll interval (ms). */
  pollIntervalMs?: number;
}

export function resolveBackend(settings: ConfigStoreSettings): ConfigBackend {
  const env = settings.env ?? process.env;
  const backend = settings.backend ?? env.FLOTILLA_CONFIG_BACKEND ?? 'file';
  if (backend !== 'file' && backend !== 'etcd' && backend !== 'kubernetes') {
    throw new ValidationError(
      [
        {
          field: 'FLOTILLA_CONFIG_BACKEND',
          rule: 'enum',
          message: `config backend must be "file", "etcd" or "kubernetes", got "${backend}"`,
        },
      ],
      `unknown config backend "${backend}"`,
    );
  }
  return backend;
}

export async function openConfigStore(settings: ConfigStoreSettings = {}): Promise<ConfigStore> {
  const env = settings.env ?? process.env;
  const backend = resolveBackend(settings);
  if (backend === 'kubernetes') {
    const kubeconfig = settings.kubeconfig ?? (env.FLOTILLA_CONFIG_KUBECONFIG || undefined);
    const namespace = settings.kubeNamespace ?? (env.FLOTILLA_CONFIG_KUBE_NAMESPACE || undefined);
    return createKubernetesConfigStore({
      env,
      ...(kubeconfig === undefined ? {} : { kubeconfig }),
      ...(namespace === undefined ? {} : { namespace }),
    });
  }
  if (backend === 'file') {
    return new FileConfigStore({
      env,
      ...(settings.configDir === undefined ? {} : { configDir: settings.configDir }),
      ...(settings.home === undefined ? {} : { home: settings.home }),
      ...(settings.pollIntervalMs === undefined ? {} : { pollIntervalMs: settings.pollIntervalMs }),
    });
  }
  const endpoints = settings.etcdEndpoints ?? splitEndpoints(env.FLOTILLA_CONFIG_ETCD_ENDPOINTS);
  if (endpoints.length === 0) {
    throw new ValidationError(
      [
        {
          field: 'FLOTILLA_CONFIG_ETCD_ENDPOINTS',
          rule: 'required',
          message: 'the etcd config backend needs endpoints (FLOTILLA_CONFIG_ETCD_ENDPOINTS or --etcd)',
        },
      ],
      'no etcd endpoints',
    );
  }
  const prefix = settings.etcdPrefix ?? env.FLOTILLA_CONFIG_ETCD_PREFIX;
  return createEtcdConfigStore({ endpoints, env, ...(prefix === undefined ? {} : { prefix }) });
}

export function splitEndpoints(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
