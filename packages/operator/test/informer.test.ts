// Informer against the real API server: paginated LIST, then WATCH events into the cache
// and its indexes, and handlers that throw synchronously are retried.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { KubeClient } from '../src/runtime/client.ts';
import { Informer } from '../src/runtime/informer.ts';
import { objectKey, type KubeObject } from '../src/runtime/objects.ts';
import { Resources } from '../src/runtime/resources.ts';
import { clientFor, createNamespace, deleteNamespace, kubeconfigOrSkip, testLogger, waitUntil } from './support/kube.ts';

type ConfigMap = KubeObject & { data?: Record<string, string> };
let client: KubeClient | undefined;
let namespace = '';
after(async () => {
  if (client && namespace) await deleteNamespace(client, namespace);
  await client?.close();
});

test('lists in pages, then follows the watch; indexes and handler retries work', async (t) => {
  const kubeconfig = kubeconfigOrSkip(t);
  if (!kubeconfig) return;
  client = clientFor(kubeconfig);
  namespace = await createNamespace(client, 'inf');
  const names = Array.from({ length: 120 }, (_, i) => `cm-${i}`);
  await Promise.all(names.map((name, i) => client!.create(Resources.ConfigMap, {
    apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels: { shard: String(i % 3) } }, data: { v: '1' },
  })));

  const informer = new Informer<ConfigMap>(client, Resources.ConfigMap, testLogger(), {
    namespace,
    pageSize: 50, // 120 objects: three pages
    indexers: { shard: (o) => [o.metadata.labels?.shard ?? ''] },
  });
  const seen = { adds: 0, updates: 0, deletes: 0, syncThrows: 0 };
  informer.addHandler({
    onAdd: () => { seen.adds += 1; },
    onUpdate: (oldObj, newObj) => {
      assert.notEqual(oldObj.metadata.resourceVersion, newObj.metadata.resourceVersion);
      seen.updates += 1;
    },
    onDelete: (_obj, finalStateUnknown) => { assert.equal(finalStateUnknown, false); seen.deletes += 1; },
  });
  let thrown = false;
  let cm7Deliveries = 0;
  informer.addHandler({
    onUpdate: (_old, obj) => {
      if (obj.metadata.name === 'cm-7') cm7Deliveries += 1;
      if (obj.metadata.name === 'cm-7' && !thrown) {
        thrown = true;
        seen.syncThrows += 1;
        throw new Error('synchronous handler failure');
      }
    },
  });
  informer.start();
  t.after(() => informer.stop());
  assert.ok(await informer.waitForSync());
  assert.equal(informer.cache.size, 120);
  assert.equal(seen.adds, 120);
  assert.equal(informer.cache.byIndex('shard', '0').length, 40);

  await client.patch(Resources.ConfigMap, namespace, 'cm-7', { metadata: { labels: { shard: '9' } } });
  await client.delete(Resources.ConfigMap, namespace, 'cm-8');
  await client.create(Resources.ConfigMap, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'late', namespace } });
  await waitUntil('watch events in the cache', () =>
    informer.cache.get(`${namespace}/cm-7`)?.metadata.labels?.shard === '9' && !informer.cache.get(`${namespace}/cm-8`) && !!informer.cache.get(`${namespace}/late`));
  assert.deepEqual(informer.cache.byIndex('shard', '9').map(objectKey), [`${namespace}/cm-7`]);
  assert.equal(informer.cache.byIndex('shard', '1').length, 39, 'cm-7 left shard 1');
  assert.equal(seen.deletes, 1);
  assert.equal(seen.adds, 121);
  assert.ok(seen.updates >= 1);
  await waitUntil('the failed update to be delivered again', () => cm7Deliveries === 2);
  assert.equal(informer.handlerRetries, 1);
  assert.equal(seen.syncThrows, 1);
  assert.equal(informer.status().lists, 1, 'no relist needed');
  assert.ok(informer.healthy());
});
