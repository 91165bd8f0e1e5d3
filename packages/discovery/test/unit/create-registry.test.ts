/**
 * Choosing a backend from the discovery config section: createRegistry builds
 * the configured one, `auto` is kubernetes in a pod, staging and prod default
 * to auto, dev stays local.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import Value from 'typebox/value';
import { loadConfig } from '@flotilla/config';
import { serviceConfig } from '@flotilla/service';
import { configDir, tempDir } from '@flotilla/testing';
import { createRegistry, DiscoveryConfig, registryBackend, type DiscoverySettings } from '../../src/create-registry.ts';
import { EtcdRegistry } from '../../src/etcd/etcd-registry.ts';
import { LocalRegistry } from '../../src/local/local-registry.ts';

const dirs: Array<{ remove(): void }> = [];
after(() => {
  for (const d of dirs) d.remove();
});

test('createRegistry picks the backend from the discovery config section', async () => {
  const defaults = Value.Default(DiscoveryConfig, {}) as DiscoverySettings;
  assert.ok(Value.Check(DiscoveryConfig, defaults));
  assert.equal(defaults.backend, 'local');
  const dir = tempDir('create-registry');
  dirs.push(dir);
  const local = createRegistry({ ...defaults, local: { ...defaults.local, dir: dir.path } }, { namespace: 'staging' });
  assert.ok(local instanceof LocalRegistry);
  assert.equal((local as LocalRegistry).namespace, 'staging');
  const etcd = createRegistry({
    ...defaults,
    backend: 'etcd',
    etcd: { ...defaults.etcd, endpoints: 'http://127.0.0.1:1, http://127.0.0.1:2', prefix: '/x' },
  });
  assert.ok(etcd instanceof EtcdRegistry);
  assert.equal((etcd as EtcdRegistry).servicePrefix('users'), `/x/${process.env.FLOTILLA_ENV ?? 'dev'}/services/users/`);
  assert.deepEqual((etcd as EtcdRegistry).endpoints, ['http://127.0.0.1:1', 'http://127.0.0.1:2']);
  await Promise.all([local.close(), etcd.close()]);
});

describe('choosing the kubernetes backend', () => {
  test('auto is kubernetes in a pod and local elsewhere; the schema accepts a kubernetes section', () => {
    assert.equal(registryBackend({ backend: 'auto' }, { KUBERNETES_SERVICE_HOST: '10.96.0.1' }), 'kubernetes');
    assert.equal(registryBackend({ backend: 'auto' }, {}), 'local');
    assert.equal(registryBackend({ backend: 'etcd' }, { KUBERNETES_SERVICE_HOST: '10.96.0.1' }), 'etcd');
    const settings = Value.Default(DiscoveryConfig, {
      backend: 'kubernetes',
      kubernetes: { namespace: 'shop' },
    }) as DiscoverySettings;
    assert.ok(Value.Check(DiscoveryConfig, settings));
  });

  test('staging and prod default to auto (kubernetes in a cluster), dev stays local', () => {
    const schema = serviceConfig({});
    const backendIn = (namespace: string, env: Record<string, string> = {}): string =>
      (
        loadConfig({ service: 'probe', schema, dir: configDir, env: { FLOTILLA_ENV: namespace, ...env } }).value as {
          discovery: { backend: string };
        }
      ).discovery.backend;
    assert.equal(backendIn('dev'), 'local');
    assert.equal(backendIn('staging'), 'auto');
    assert.equal(backendIn('prod'), 'auto');
    assert.equal(backendIn('prod', { FLOTILLA_REGISTRY_BACKEND: 'etcd' }), 'etcd');
  });
});
