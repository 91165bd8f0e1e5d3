/**
 * Choosing a backend by configuration alone: the `discovery` config section
 * (DiscoveryConfig) and createRegistry(). `local` needs nothing; `etcd`
 * needs endpoints. Switch a whole system with `discovery.backend: etcd` in
 * config/<ns>/shared.yaml, or one service with
 * FLOTILLA_<SERVICE>__DISCOVERY__BACKEND=etcd.
 */
import { join } from 'node:path';
import type { DiscoverySettings } from './config.ts';
import { EtcdRegistry } from './etcd/etcd-registry.ts';
import { LocalRegistry } from './local/local-registry.ts';
import type { Registry } from './types.ts';

export { DiscoveryConfig, type DiscoverySettings } from './config.ts';

export interface CreateRegistryOptions {
  /** Default `$FLOTILLA_ENV` or `dev`. */
  namespace?: string;
  /** State folder for the local backend when `local.dir` is not set (default `$FLOTILLA_HOME` or `./.flotilla`). */
  home?: string;
}

export function createRegistry(settings: DiscoverySettings, options: CreateRegistryOptions = {}): Registry {
  const namespace = options.namespace === undefined ? {} : { namespace: options.namespace };
  if (settings.backend === 'etcd') {
    return new EtcdRegistry({
      endpoints: settings.etcd.endpoints.split(',').map((e) => e.trim()).filter(Boolean),
      prefix: settings.etcd.prefix,
      ttlSeconds: settings.etcd.ttlSeconds,
      ...namespace,
    });
  }
  return new LocalRegistry({
    ...(settings.local.dir !== undefined ? { dir: settings.local.dir } : options.home !== undefined ? { dir: join(options.home, 'registry') } : {}),
    ttlMs: settings.local.ttlMs,
    heartbeatMs: settings.local.heartbeatMs,
    ...namespace,
  });
}
