/**
 * Choosing a backend by configuration alone: the `discovery` config section
 * (DiscoveryConfig) and createRegistry(). `local` needs nothing; `etcd`
 * needs endpoints. Switch a whole system with `discovery.backend: etcd` in
 * config/<ns>/shared.yaml, or one service with
 * FLOTILLA_<SERVICE>__DISCOVERY__BACKEND=etcd.
 */
import Type, { type Static } from 'typebox';
import { EtcdRegistry } from './etcd/etcd-registry.js';
import { LocalRegistry } from './local/local-registry.js';
import type { Registry } from './types.js';

const strict = { additionalProperties: false } as const;

export const DiscoveryConfig = Type.Object(
  {
    backend: Type.Enum(['local', 'etcd'], { default: 'local' }),
    /** Where this process runs; the balancers prefer instances in the same zone, then region. */
    region: Type.String({ default: 'local', minLength: 1 }),
    zone: Type.String({ default: 'local', minLength: 1 }),
    /** Host other processes reach this one on (default: 127.0.0.1, or the listener's host when it is specific). */
    advertiseAddress: Type.Optional(Type.String({ minLength: 1 })),
    local: Type.Object(
      {
        dir: Type.Optional(Type.String({ minLength: 1, description: 'default $FLOTILLA_HOME/registry' })),
        ttlMs: Type.Integer({ default: 5000, minimum: 500 }),
        heartbeatMs: Type.Integer({ default: 1000, minimum: 100 }),
      },
      { ...strict, default: {} },
    ),
    etcd: Type.Object(
      {
        endpoints: Type.String({ default: 'http://127.0.0.1:2379', minLength: 1, description: 'comma-separated http://host:port list' }),
        prefix: Type.String({ default: '/flotilla', pattern: '^/' }),
        ttlSeconds: Type.Integer({ default: 10, minimum: 2 }),
      },
      { ...strict, default: {} },
    ),
  },
  { ...strict, default: {} },
);

export type DiscoverySettings = Static<typeof DiscoveryConfig>;

export interface CreateRegistryOptions {
  /** Default `$FLOTILLA_ENV` or `dev`. */
  namespace?: string;
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
    ...(settings.local.dir === undefined ? {} : { dir: settings.local.dir }),
    ttlMs: settings.local.ttlMs,
    heartbeatMs: settings.local.heartbeatMs,
    ...namespace,
  });
}
