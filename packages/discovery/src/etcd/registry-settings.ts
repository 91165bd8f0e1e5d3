/** The `discovery.etcd` config section as EtcdRegistry options. */
import { ValidationError } from '@flotilla/core';
import type { DiscoverySettings } from '../config.ts';
import type { EtcdRegistryOptions } from './etcd-registry.ts';

export function etcdRegistryOptions(settings: DiscoverySettings['etcd']): EtcdRegistryOptions {
  const { username, password, tls } = settings;
  if (username === undefined || password === undefined) {
    if (username !== password) {
      const missing = username === undefined ? 'username' : 'password';
      throw new ValidationError(
        [{ field: `discovery.etcd.${missing}`, rule: 'required', message: 'discovery.etcd.username and password go together' }],
        `discovery.etcd.${missing} is missing: etcd credentials need both a username and a password`,
      );
    }
  }
  return {
    endpoints: settings.endpoints
      .split(',')
      .map((endpoint) => endpoint.trim())
      .filter(Boolean),
    prefix: settings.prefix,
    ttlSeconds: settings.ttlSeconds,
    ...(username === undefined || password === undefined ? {} : { auth: { username, password } }),
    ...(tls === undefined ? {} : { tls }),
  };
}
