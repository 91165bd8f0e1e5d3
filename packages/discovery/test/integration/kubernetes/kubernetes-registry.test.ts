/**
 * The kubernetes registry against real API servers. EndpointSlices are
 * written by hand, as the EndpointSlice controller would write them: the
 * harness has no kubelet, and its Services have no selector, so nothing else
 * touches them.
 *
 * - the shared control plane: instances appear, change and leave; list, services;
 *   register/deregister write nothing;
 * - a private control plane: an API server restart, then a restart with
 *   changes nobody watched and a compacted etcd (410 Gone → relist).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Value from 'typebox/value';
import { KubeClient, loadKubeconfig, Resources } from '@flotilla/kube';
import { clientFor, createNamespace, deleteNamespace, eventually, freePort, kubeconfigOrSkipReason } from '@flotilla/testing';
import { type ControlPlane, privateControlPlane } from '../../../../../scripts/test-services/kube.ts';
import { createRegistry, DiscoveryConfig, type DiscoverySettings } from '../../../src/create-registry.ts';
import { createKubernetesRegistry, KubernetesRegistry } from '../../../src/kubernetes/kubernetes-registry.ts';
import { endpoint, ids, ports, slice } from '../../support/endpoint-slices.ts';

const kube = kubeconfigOrSkipReason();

describe('kubernetes registry on a real API server', { skip: 'skip' in kube ? kube.skip : false }, () => {
  const kubeconfig = 'kubeconfig' in kube ? kube.kubeconfig : '';
  let admin: KubeClient;
  let namespace: string;
  let registry: KubernetesRegistry;
  before(async () => {
    admin = clientFor(kubeconfig);
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
    await eventually(() => ids(set.snapshot()).join() === 'users-1', { message: 'users-1 to appear (users-2 is not ready)' });
    await admin.create(
      Resources.EndpointSlice,
      slice('users', 'users-b', [endpoint('users-3', '10.0.0.3', undefined, 'zone-b')], {}, namespace),
    );
    await eventually(() => ids(set.snapshot()).join() === 'users-1,users-3', { message: 'users-3 from a second slice' });
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
    await eventually(() => ids(set.snapshot()).join() === 'users-2,users-3', { message: 'users-2 in, terminating users-1 out' });

    // Nothing ready any more: the serving-but-terminating endpoint carries the traffic.
    await admin.delete(Resources.EndpointSlice, namespace, 'users-b');
    await admin.replace(
      Resources.EndpointSlice,
      slice('users', 'users-a', [endpoint('users-1', '10.0.0.1', { ready: false, serving: true, terminating: true })], {}, namespace),
    );
    await eventually(() => ids(set.snapshot()).join() === 'users-1' && set.snapshot()[0]!.metadata.terminating === 'true', {
      message: 'the terminating fallback',
    });

    await admin.delete(Resources.EndpointSlice, namespace, 'users-a');
    await eventually(() => set.snapshot().length === 0, { message: 'every instance to leave' });
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
    await eventually(() => ids(set.snapshot()).join() === 'users-1,users-2', { message: 'the first listing' });

    // 1. A plain restart: the watch comes back and sees a change made afterwards.
    await plane.restartApiserver();
    await admin.create(Resources.EndpointSlice, slice('users', 'users-b', [endpoint('users-3', '10.0.0.3')], {}, namespace));
    await eventually(() => ids(set.snapshot()).join() === 'users-1,users-2,users-3', {
      timeoutMs: 60_000,
      intervalMs: 100,
      message: 'a change after the restart',
    });

    // 2. Down: the set goes stale and keeps its instances.
    await plane.stopApiserver();
    await eventually(() => set.status === 'stale', { timeoutMs: 30_000, message: 'the set to turn stale' });
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

    await eventually(() => ids(set.snapshot()).join() === 'users-2,users-4', {
      timeoutMs: 90_000,
      intervalMs: 100,
      message: 'the relisted state',
    });
    await eventually(() => set.status === 'live', { timeoutMs: 30_000, message: 'the set to be live again' });
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
