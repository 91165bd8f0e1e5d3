// Informer against the real API server: paginated LIST, then WATCH events into the cache
// and its indexes, and handlers that throw synchronously are retried.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Informer, isUnreachable, KubeClient, objectKey, Resources, silentLogger, type KubeObject } from '@flotilla/kube';
import { clientFor, createNamespace, deleteNamespace, eventually, kubeconfigOrSkip } from '@flotilla/testing';

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
  await Promise.all(
    names.map((name, i) =>
      client!.create(Resources.ConfigMap, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name, namespace, labels: { shard: String(i % 3) } },
        data: { v: '1' },
      }),
    ),
  );

  const informer = new Informer<ConfigMap>(client, Resources.ConfigMap, silentLogger, {
    namespace,
    pageSize: 50, // 120 objects: three pages
    indexers: { shard: (o) => [o.metadata.labels?.shard ?? ''] },
  });
  const seen = { adds: 0, updates: 0, deletes: 0, syncThrows: 0 };
  informer.addHandler({
    onAdd: () => {
      seen.adds += 1;
    },
    onUpdate: (oldObj, newObj) => {
      assert.notEqual(oldObj.metadata.resourceVersion, newObj.metadata.resourceVersion);
      seen.updates += 1;
    },
    onDelete: (_obj, finalStateUnknown) => {
      assert.equal(finalStateUnknown, false);
      seen.deletes += 1;
    },
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
  await client.create(Resources.ConfigMap, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'late', namespace },
  });
  await eventually(
    () =>
      informer.cache.get(`${namespace}/cm-7`)?.metadata.labels?.shard === '9' &&
      !informer.cache.get(`${namespace}/cm-8`) &&
      !!informer.cache.get(`${namespace}/late`),
    { timeoutMs: 60_000, intervalMs: 100, message: 'watch events in the cache' },
  );
  assert.deepEqual(informer.cache.byIndex('shard', '9').map(objectKey), [`${namespace}/cm-7`]);
  assert.equal(informer.cache.byIndex('shard', '1').length, 39, 'cm-7 left shard 1');
  assert.equal(seen.deletes, 1);
  assert.equal(seen.adds, 121);
  assert.ok(seen.updates >= 1);
  await eventually(() => cm7Deliveries === 2, { timeoutMs: 60_000, intervalMs: 100, message: 'the failed update to be delivered again' });
  assert.equal(informer.handlerRetries, 1);
  assert.equal(seen.syncThrows, 1);
  assert.equal(informer.status().lists, 1, 'no relist needed');
  assert.ok(informer.healthy());
});

test('onAdd tells the first list from later adds; onConnected and onError report reachability', async (t) => {
  const kubeconfig = kubeconfigOrSkip(t);
  if (!kubeconfig) return;
  const admin = clientFor(kubeconfig);
  const ns = await createNamespace(admin, 'inf-flags');
  const cleanups: Array<() => Promise<void>> = [];
  // Last registered, first run: a client closes gracefully only once its watches are stopped.
  t.after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await deleteNamespace(admin, ns);
    await admin.close();
  });
  await admin.create(Resources.ConfigMap, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'early', namespace: ns },
  });
  let connected = 0;
  const informer = new Informer<ConfigMap>(admin, Resources.ConfigMap, silentLogger, {
    namespace: ns,
    onConnected: () => {
      connected += 1;
    },
  });
  const adds: Array<[string, boolean]> = [];
  informer.addHandler({
    onAdd: (obj, initial) => {
      adds.push([obj.metadata.name!, initial]);
    },
  });
  informer.start();
  cleanups.push(() => informer.stop());
  await informer.waitForSync();
  await admin.create(Resources.ConfigMap, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'late', namespace: ns },
  });
  await eventually(() => adds.length === 2, { timeoutMs: 60_000, intervalMs: 100, message: 'the late add' });
  assert.deepEqual(adds, [
    ['early', true],
    ['late', false],
  ]);
  assert.ok(connected >= 2, 'the list and the watch stream both count as contact');
  const replayed: Array<[string, boolean]> = [];
  informer.addHandler({
    onAdd: (obj, initial) => {
      replayed.push([obj.metadata.name!, initial]);
    },
  });
  assert.deepEqual(
    replayed.sort(),
    [
      ['early', true],
      ['late', true],
    ],
    'a late handler hears the cache as a first list',
  );

  // Nothing listens on port 9: every attempt fails without an HTTP status.
  const nowhere = new KubeClient({ server: 'https://127.0.0.1:9' });
  cleanups.push(() => nowhere.close());
  const errors: unknown[] = [];
  const offline = new Informer<ConfigMap>(nowhere, Resources.ConfigMap, silentLogger, {
    onError: (error) => errors.push(error),
  });
  offline.start();
  await eventually(() => errors.length > 0, { timeoutMs: 10_000, intervalMs: 100, message: 'an error report' });
  await offline.stop();
  assert.ok(isUnreachable(errors[0]), `unreachable: ${String(errors[0])}`);
  assert.equal(offline.hasSynced(), false);
});
