/** The service hook and choosing a backend from config. */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import Value from 'typebox/value';
import type { DiscoverySettings } from '../../src/discovery/create-registry.ts';
import { createRegistry, DiscoveryConfig } from '../../src/discovery/create-registry.ts';
import { EtcdRegistry } from '../../src/discovery/etcd/etcd-registry.ts';
import { LocalRegistry } from '../../src/discovery/local/local-registry.ts';
import { startRegistration } from '../../src/discovery/start-registration.ts';
import { tempDir } from './support.ts';

const dirs: Array<{ remove(): void }> = [];
after(() => {
  for (const d of dirs) d.remove();
});

test('startRegistration registers once listeners are up and stop() deregisters', async () => {
  const dir = tempDir('start-registration');
  dirs.push(dir);
  const registry = new LocalRegistry({ dir: dir.path, namespace: 'test' });
  const logs: string[] = [];
  const logger = {
    info: (_o: object, m: string) => logs.push(m),
    warn: (_o: object, m: string) => logs.push(`WARN ${m}`),
  };
  const running = await startRegistration({
    registry,
    instance: { service: 'users', id: 'users-1', address: '127.0.0.1', ports: { http: 8081, grpc: 9081 } },
    logger,
  });
  assert.equal(running.registration?.instance.id, 'users-1');
  assert.deepEqual(
    (await registry.list('users')).map((i) => i.health),
    ['serving'],
  );
  await running.setHealth('not-serving');
  assert.deepEqual(
    (await registry.list('users')).map((i) => i.health),
    ['not-serving'],
  );
  await Promise.all([running.stop(), running.stop()]);
  assert.deepEqual(await registry.list('users'), []);
  assert.deepEqual(logs, ['registered users-1 in the local registry', 'deregistered from the local registry']);
  await registry.close();
});

test('startRegistration fails the start for an invalid instance', async () => {
  const dir = tempDir('start-invalid');
  dirs.push(dir);
  const registry = new LocalRegistry({ dir: dir.path, namespace: 'test' });
  await assert.rejects(
    startRegistration({ registry, instance: { service: 'users', address: '127.0.0.1', ports: {} } }),
    /at least one port/,
  );
  await registry.close();
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
