/**
 * The kubernetes registry. EndpointSlices are written by hand here, as the
 * EndpointSlice controller would write them: the harness has no kubelet, and
 * its Services have no selector, so nothing else touches them.
 *
 * - mapping (no server): ready endpoints only, terminating ones when nothing
 *   is ready, ports by name, zones, dual-stack, the version label;
 * - choosing the backend: `auto` in a pod, staging/prod default to it, dev not;
 * - the shared control plane: instances appear, change and leave; list, services;
 *   register/deregister write nothing;
 * - a private control plane: an API server restart, then a restart with
 *   changes nobody watched and a compacted etcd (410 Gone → relist).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Value from 'typebox/value';
import { KubeClient, loadKubeconfig, Resources } from '@flotilla/kube';
import { loadConfig } from '@flotilla/kit/config';
import { serviceConfig } from '@flotilla/kit/service';
import { createRegistry, DiscoveryConfig, registryBackend, type DiscoverySettings } from '../../src/discovery/create-registry.ts';
import { instancesFromSlices, type Endpoint, type EndpointSlice } from '../../src/discovery/kubernetes/endpoint-slices.ts';
import { createKubernetesRegistry, KubernetesRegistry } from '../../src/discovery/kubernetes/kubernetes-registry.ts';
import type { Instance } from '../../src/discovery/types.ts';
import {
  adminClient,
  createNamespace,
  deleteNamespace,
  kubeconfigOrSkipReason,
  privateControlPlane,
  type ControlPlane,
} from '../support/kube.ts';
import { freePort } from '../../../../scripts/k8s/process.ts';
import { waitUntil } from './support.ts';

const repoConfig = join(import.meta.dirname, '..', '..', '..', '..', 'config');

const ports = [
  { name: 'http', port: 8080, protocol: 'TCP' },
  { name: 'grpc', port: 9090, protocol: 'TCP' },
  { name: 'metrics', port: 9100, protocol: 'TCP' },
];

function endpoint(
  pod: string,
  ip: string,
  conditions: Endpoint['conditions'] = { ready: true, serving: true, terminating: false },
  zone = 'zone-a',
): Endpoint {
  return {
    addresses: [ip],
    conditions,
    nodeName: `node-${zone}`,
    zone,
    targetRef: { kind: 'Pod', name: pod, namespace: 'shop' },
  };
}

function slice(
  service: string,
  name: string,
  endpoints: Endpoint[],
  extra: Partial<EndpointSlice> = {},
  namespace = 'shop',
): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name,
      namespace,
      labels: { 'kubernetes.io/service-name': service, 'endpointslice.kubernetes.io/managed-by': 'flotilla-test' },
    },
    addressType: 'IPv4',
    endpoints,
    ports,
    ...extra,
  };
}

const ids = (instances: readonly Instance[]): string[] => instances.map((i) => i.id);

describe('EndpointSlices as instances', () => {
  test('ready endpoints become instances with ports by name, zone, node and region', () => {
    const instances = instancesFromSlices(
      'users',
      [slice('users', 'users-abc', [endpoint('users-1', '10.0.0.1'), endpoint('users-2', '10.0.0.2', { ready: null }, 'zone-b')])],
      { region: 'eu' },
    );
    assert.deepEqual(ids(instances), ['users-1', 'users-2'], 'ready: nil counts as ready');
    assert.deepEqual(instances[0], {
      id: 'users-1',
      service: 'users',
      address: '10.0.0.1',
      ports: { http: 8080, grpc: 9090 },
      version: '0.0.0',
      region: 'eu',
      zone: 'zone-a',
      weight: 100,
      health: 'serving',
      metadata: { endpointSlice: 'users-abc', pod: 'users-1', nodeName: 'node-zone-a' },
    });
    assert.equal(instances[1]!.zone, 'zone-b');
  });

  test('not-ready endpoints are skipped; terminating-but-serving ones are used only when nothing is ready', () => {
    const terminating = endpoint('users-3', '10.0.0.3', { ready: false, serving: true, terminating: true });
    const notReady = endpoint('users-4', '10.0.0.4', { ready: false, serving: false, terminating: false });
    const both = instancesFromSlices('users', [slice('users', 's', [endpoint('users-1', '10.0.0.1'), terminating, notReady])], {
      region: 'eu',
    });
    assert.deepEqual(ids(both), ['users-1']);
    const fallback = instancesFromSlices(
      'users',
      [slice('users', 's', [terminating, notReady, endpoint('users-5', '10.0.0.5', { ready: false, serving: false, terminating: true })])],
      { region: 'eu' },
    );
    assert.deepEqual(ids(fallback), ['users-3']);
    assert.equal(fallback[0]!.metadata.terminating, 'true');
  });

  test('zone hints, the version label, dual-stack Pods, other services and unnamed ports', () => {
    const hinted = {
      ...endpoint('users-1', '10.0.0.1'),
      zone: undefined,
      hints: { forZones: [{ name: 'zone-h' }] },
    } as Endpoint;
    const v4 = slice('users', 'b-v4', [hinted]);
    v4.metadata.labels!['app.kubernetes.io/version'] = '1.4.2';
    const v6 = slice('users', 'a-v6', [endpoint('users-1', 'fd00::1')], { addressType: 'IPv6' });
    const other = slice('orders', 'o', [endpoint('orders-1', '10.0.1.1')]);
    const unnamed = slice('users', 'c', [endpoint('users-9', '10.0.0.9')], { ports: [{ port: 80, protocol: 'TCP' }] });
    const instances = instancesFromSlices('users', [v6, other, unnamed, v4], { region: 'eu' });
    assert.deepEqual(ids(instances), ['users-1']);
    assert.equal(instances[0]!.address, '10.0.0.1', 'IPv4 wins for a dual-stack Pod');
    assert.equal(instances[0]!.zone, 'zone-h');
    assert.equal(instances[0]!.version, '1.4.2');
    assert.deepEqual(
      instancesFromSlices('users', [slice('users', 'x', [{ addresses: ['10.0.0.7'] }])], { region: 'eu' }).map((i) => i.id),
      ['10.0.0.7'],
      'no Pod reference: the address is the id',
    );
  });
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
        loadConfig({ service: 'probe', schema, dir: repoConfig, env: { FLOTILLA_ENV: namespace, ...env } }).value as {
          discovery: { backend: string };
        }
      ).discovery.backend;
    assert.equal(backendIn('dev'), 'local');
    assert.equal(backendIn('staging'), 'auto');
    assert.equal(backendIn('prod'), 'auto');
    assert.equal(backendIn('prod', { FLOTILLA_REGISTRY_BACKEND: 'etcd' }), 'etcd');
  });
});

const kube = kubeconfigOrSkipReason();

describe('kubernetes registry on a real API server', { skip: 'skip' in kube ? kube.skip : false }, () => {
  const kubeconfig = 'kubeconfig' in kube ? kube.kubeconfig : '';
  let admin: KubeClient;
  let namespace: string;
  let registry: KubernetesRegistry;
  before(async () => {
    admin = adminClient(kubeconfig);
    namespace = await createNamespace(admin, 'flotilla-discovery');
    await createService(admin, namespace, 'users');
    registry = createKubernetesRegistry({ kubeconfig, namespace, region: 'eu' });
  });
  after(async () => {
    await registry.close();
    await deleteNamespace(admin, namespace);
    await admin.close();
  });

  test('instances appear and leave with their endpoints; not-ready ones are skipped; terminating ones only when nothing is ready', async () => {
    const set = registry.watch('users');
    await set.ready;
    assert.equal(set.status, 'live');
    assert.deepEqual(set.snapshot(), []);

    await admin.create(
      Resources.EndpointSlice,
      slice(
        'users',
        'users-a',
        [endpoint('users-1', '10.0.0.1'), endpoint('users-2', '10.0.0.2', { ready: false, serving: false, terminating: false })],
        {},
        namespace,
      ),
    );
    await waitUntil(() => ids(set.snapshot()).join() === 'users-1', 'users-1 to appear (users-2 is not ready)');
    await admin.create(
      Resources.EndpointSlice,
      slice('users', 'users-b', [endpoint('users-3', '10.0.0.3', undefined, 'zone-b')], {}, namespace),
    );
    await waitUntil(() => ids(set.snapshot()).join() === 'users-1,users-3', 'users-3 from a second slice');
    assert.equal(set.snapshot()[1]!.zone, 'zone-b');

    // users-2 turns ready, users-1 starts terminating (a rollout): the ready one is used, not the terminating one.
    await admin.replace(
      Resources.EndpointSlice,
      slice(
        'users',
        'users-a',
        [endpoint('users-1', '10.0.0.1', { ready: false, serving: true, terminating: true }), endpoint('users-2', '10.0.0.2')],
        {},
        namespace,
      ),
    );
    await waitUntil(() => ids(set.snapshot()).join() === 'users-2,users-3', 'users-2 in, terminating users-1 out');

    // Nothing ready any more: the serving-but-terminating endpoint carries the traffic.
    await admin.delete(Resources.EndpointSlice, namespace, 'users-b');
    await admin.replace(
      Resources.EndpointSlice,
      slice('users', 'users-a', [endpoint('users-1', '10.0.0.1', { ready: false, serving: true, terminating: true })], {}, namespace),
    );
    await waitUntil(
      () => ids(set.snapshot()).join() === 'users-1' && set.snapshot()[0]!.metadata.terminating === 'true',
      'the terminating fallback',
    );

    await admin.delete(Resources.EndpointSlice, namespace, 'users-a');
    await waitUntil(() => set.snapshot().length === 0, 'every instance to leave');
    set.close();
  });

  test('list and services read the EndpointSlices; register and deregister write nothing', async () => {
    await createService(admin, namespace, 'orders');
    await admin.create(
      Resources.EndpointSlice,
      slice('orders', 'orders-a', [endpoint('orders-1', '10.0.1.1'), endpoint('orders-2', '10.0.1.2')], {}, namespace),
    );
    await admin.create(
      Resources.EndpointSlice,
      slice('empty', 'empty-a', [endpoint('empty-1', '10.0.2.1', { ready: false, serving: false })], {}, namespace),
    );
    assert.deepEqual(ids(await registry.list('orders')), ['orders-1', 'orders-2']);
    assert.deepEqual(await registry.services(), ['orders'], 'a service with no usable endpoint is not listed');

    const before = await admin.list(Resources.EndpointSlice, namespace);
    const registration = await registry.register({ service: 'orders', address: '10.0.1.9', ports: { http: 8080 } });
    assert.equal(await registry.register({ service: 'orders', address: '10.0.1.9', ports: { http: 1 } }), registration, 'once');
    await registration.update({ weight: 5 });
    assert.equal(registration.instance.weight, 5);
    await registry.deregister();
    const afterwards = await admin.list(Resources.EndpointSlice, namespace);
    assert.equal(afterwards.items.length, before.items.length);
    await assert.rejects(registry.register({ service: 'orders', address: '10.0.1.9', ports: {} }), /at least one port/);
  });

  test('createRegistry builds it from the discovery section', async () => {
    const settings = Value.Default(DiscoveryConfig, {
      backend: 'kubernetes',
      region: 'eu',
      kubernetes: { kubeconfig, namespace },
    }) as DiscoverySettings;
    const made = createRegistry(settings);
    try {
      assert.ok(made instanceof KubernetesRegistry);
      assert.equal(made.backend, 'kubernetes');
      assert.deepEqual(ids(await made.list('orders')), ['orders-1', 'orders-2']);
      assert.equal((await made.list('orders'))[0]!.region, 'eu');
    } finally {
      await made.close();
    }
  });
});

describe('kubernetes registry through API server restarts', () => {
  let plane: ControlPlane | undefined;
  const clients: KubeClient[] = [];
  after(async () => {
    for (const client of clients) await client.close();
    await plane?.stop();
  });

  test('a watch survives a restart, and a restart with unseen changes and a compacted etcd (410 Gone → relist)', async (t) => {
    const started = await privateControlPlane();
    if ('skip' in started) return t.skip(started.skip);
    plane = started;
    const connection = loadKubeconfig(plane.kubeconfig);
    const admin = new KubeClient(connection);
    clients.push(admin);
    const namespace = await createNamespace(admin, 'restart');
    await createService(admin, namespace, 'users');
    await admin.create(
      Resources.EndpointSlice,
      slice('users', 'users-a', [endpoint('users-1', '10.0.0.1'), endpoint('users-2', '10.0.0.2')], {}, namespace),
    );

    const infos: string[] = [];
    const warnings: string[] = [];
    const logger = {
      info: (_o: object, m: string) => infos.push(m),
      warn: (_o: object, m: string) => warnings.push(m),
    };
    const registry = new KubernetesRegistry(new KubeClient(connection), {
      namespace,
      server: connection.server,
      region: 'eu',
      logger,
      ownsClient: true,
    });
    t.after(() => registry.close());
    const set = registry.watch('users');
    await set.ready;
    await waitUntil(() => ids(set.snapshot()).join() === 'users-1,users-2', 'the first listing');

    // 1. A plain restart: the watch comes back and sees a change made afterwards.
    await plane.restartApiserver();
    await admin.create(Resources.EndpointSlice, slice('users', 'users-b', [endpoint('users-3', '10.0.0.3')], {}, namespace));
    await waitUntil(() => ids(set.snapshot()).join() === 'users-1,users-2,users-3', 'a change after the restart', 60_000, 100);

    // 2. Down: the set goes stale and keeps its instances.
    await plane.stopApiserver();
    await waitUntil(() => set.status === 'stale', 'the set to turn stale', 30_000);
    assert.deepEqual(ids(set.snapshot()), ['users-1', 'users-2', 'users-3'], 'the last known instances stay');
    assert.ok(
      warnings.some((w) => /the Kubernetes API at .* is unavailable/.test(w)),
      warnings.join('\n'),
    );

    // Changes through another API server nobody watches, then etcd compacted past them.
    const altPort = await freePort();
    await plane.startApiserver(altPort);
    const alt = new KubeClient({ ...connection, server: `https://127.0.0.1:${altPort}` });
    clients.push(alt);
    await alt.delete(Resources.EndpointSlice, namespace, 'users-b');
    await alt.replace(
      Resources.EndpointSlice,
      slice(
        'users',
        'users-a',
        [
          endpoint('users-1', '10.0.0.1', { ready: false, serving: false, terminating: false }),
          endpoint('users-2', '10.0.0.2'),
          endpoint('users-4', '10.0.0.4'),
        ],
        {},
        namespace,
      ),
    );
    await plane.compactEtcd();
    await plane.stopApiserver();
    await plane.startApiserver();

    await waitUntil(() => ids(set.snapshot()).join() === 'users-2,users-4', 'the relisted state', 90_000, 100);
    await waitUntil(() => set.status === 'live', 'the set to be live again', 30_000);
    assert.ok(
      infos.some((line) => /410 Gone/.test(line)),
      `a relist after 410 Gone was logged: ${infos.join(' | ')}`,
    );
    set.close();
  });
});

async function createService(client: KubeClient, namespace: string, name: string): Promise<void> {
  // No selector: its EndpointSlices are ours to write, as a controller would.
  await client.create(Resources.Service, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: { ports: ports.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol })) },
  } as never);
}
