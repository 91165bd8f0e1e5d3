// The API server restarts mid-watch while changes happen that the watcher never sees, and
// etcd is compacted: resuming the watch answers 410 Gone, the informer relists, diffs
// (synthesising deletes) and ends up right; the operator converges on the final state.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Informer, KubeClient, type KubeObject, loadKubeconfig, objectKey, Resources } from '@flotilla/kube';
import { createNamespace, eventually, freePort, getOrUndefined } from '@flotilla/testing';
import { MicroserviceResource } from '../../src/microservice/crd.ts';
import type { Microservice } from '../../src/microservice/types.ts';
import { startOperator, type RunningOperator } from '../../src/operator.ts';
import { installCrd, testLogger } from './support/kube.ts';
import { privatePlaneOrSkip, type ControlPlane } from './support/private-plane.ts';

let plane: ControlPlane | undefined;
let operator: RunningOperator | undefined;
const clients: KubeClient[] = [];
after(async () => {
  await operator?.stop();
  for (const c of clients) await c.close();
  await plane?.stop();
});

type ConfigMap = KubeObject & { data?: Record<string, string> };
const cm = (namespace: string, name: string, value: string): ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { namespace, name },
  data: { value },
});
const ms = (namespace: string, name: string, image: string): Microservice => ({
  apiVersion: 'flotilla.dev/v1alpha1',
  kind: 'Microservice',
  metadata: { namespace, name },
  spec: { image },
});

test('restart mid-watch + etcd compaction: 410 Gone, relist, synthesized deletes, nothing missed', async (t) => {
  plane = await privatePlaneOrSkip(t);
  if (!plane) return;
  const connection = loadKubeconfig(plane.kubeconfig);
  const client = new KubeClient(connection);
  clients.push(client);
  await installCrd(client);
  const ns = await createNamespace(client, 'watch');

  for (const name of ['keep', 'change', 'remove']) await client.create(Resources.ConfigMap, cm(ns, name, 'v1'));
  for (const name of ['ms-keep', 'ms-change', 'ms-remove']) await client.create(MicroserviceResource, ms(ns, name, 'img:1'));

  // An informer whose handler fails the first time it sees each add: errors must be retried.
  const informer = new Informer<ConfigMap>(client, Resources.ConfigMap, testLogger(), {
    namespace: ns,
    unhealthyAfterMs: 1000,
  });
  const deletes: { key: string; finalStateUnknown: boolean }[] = [];
  const failedOnce = new Set<string>();
  const delivered = new Map<string, number>();
  informer.addHandler({
    onAdd: async (obj) => {
      const key = objectKey(obj);
      delivered.set(key, (delivered.get(key) ?? 0) + 1);
      if (!failedOnce.has(key)) {
        failedOnce.add(key);
        throw new Error(`handler failure for ${key}`);
      }
    },
    onDelete: (obj, finalStateUnknown) => {
      deletes.push({ key: objectKey(obj), finalStateUnknown });
    },
  });
  informer.start();
  t.after(() => informer.stop());
  assert.ok(await informer.waitForSync());

  operator = await startOperator({ connection, log: testLogger(), namespace: ns, leaseNamespace: ns });
  const observed = async (name: string) => {
    const live = await client.get<Microservice>(MicroserviceResource, ns, name);
    return live.status?.observedGeneration === live.metadata.generation;
  };
  await eventually(async () => (await observed('ms-keep')) && (await observed('ms-change')) && (await observed('ms-remove')), {
    timeoutMs: 60_000,
    intervalMs: 100,
    message: 'initial reconciles',
  });
  await eventually(() => ['keep', 'change', 'remove'].every((n) => (delivered.get(`${ns}/${n}`) ?? 0) >= 2), {
    timeoutMs: 60_000,
    intervalMs: 100,
    message: 'every add delivered again after its handler failed',
  });

  // Take the API server away, make changes through a second one on another port that
  // nobody watches, compact etcd so the old resourceVersion is gone, then come back.
  assert.ok(informer.healthy());
  await plane.stopApiserver();
  await eventually(() => !informer.healthy(), { timeoutMs: 20_000, intervalMs: 100, message: 'the informer to report its watch dead' });
  const altPort = await freePort();
  await plane.startApiserver(altPort);
  const alt = new KubeClient({ ...connection, server: `https://127.0.0.1:${altPort}` });
  clients.push(alt);
  await alt.delete(Resources.ConfigMap, ns, 'remove');
  await alt.patch(Resources.ConfigMap, ns, 'change', { data: { value: 'v2' } });
  await alt.create(Resources.ConfigMap, cm(ns, 'new', 'v1'));
  await alt.delete(MicroserviceResource, ns, 'ms-remove');
  await alt.patch(MicroserviceResource, ns, 'ms-change', { spec: { image: 'img:2' } });
  await alt.create(MicroserviceResource, ms(ns, 'ms-new', 'img:1'));
  await plane.compactEtcd();
  await plane.stopApiserver();
  await plane.startApiserver();

  await eventually(
    async () => {
      const live = await client.list<ConfigMap>(Resources.ConfigMap, ns);
      const cached = informer.cache.list();
      const liveState = live.items.map((o) => `${o.metadata.name}@${o.metadata.resourceVersion}`).sort();
      const cachedState = cached.map((o) => `${o.metadata.name}@${o.metadata.resourceVersion}`).sort();
      return JSON.stringify(liveState) === JSON.stringify(cachedState);
    },
    { timeoutMs: 90_000, intervalMs: 250, message: 'the informer to relist and match the server' },
  );
  assert.ok(informer.status().lists >= 2, 'the informer relisted (410 Gone)');
  await eventually(() => informer.healthy(), { timeoutMs: 20_000, intervalMs: 100, message: 'the informer to be healthy again' });
  assert.deepEqual(deletes, [{ key: `${ns}/remove`, finalStateUnknown: true }], 'the vanished object became a synthesized delete');
  assert.equal(informer.cache.get(`${ns}/change`)?.data?.value, 'v2');
  assert.ok(informer.cache.get(`${ns}/new`));

  // The operator saw none of those events either, and still converges.
  await eventually(
    async () => {
      const deployment = await getOrUndefined(() =>
        client.get<KubeObject & { spec: { template: { spec: { containers: { image: string }[] } } } }>(
          Resources.Deployment,
          ns,
          'ms-change',
        ),
      );
      const created = await getOrUndefined(() => client.get(Resources.Deployment, ns, 'ms-new'));
      return (
        deployment?.spec.template.spec.containers[0]?.image === 'img:2' &&
        !!created &&
        (await observed('ms-new')) &&
        (await observed('ms-change'))
      );
    },
    { timeoutMs: 90_000, intervalMs: 250, message: 'the operator to converge on the final state' },
  );
  assert.equal(operator.controller.primary.cache.get(`${ns}/ms-remove`), undefined);
  // Every informer's watch must be back (some may still be in their reconnect backoff).
  await eventually(() => operator!.ready().ok, {
    timeoutMs: 60_000,
    intervalMs: 100,
    message: 'the operator to report ready again once the watches are back',
  });
});
