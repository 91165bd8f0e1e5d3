// An informer's transform against the real API server: listed objects and watch events both
// enter the cache trimmed, handlers see the trimmed objects, and the transform cannot be
// changed once the informer runs.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Informer, type KubeClient, type KubeObject, keepOnly, Resources, silentLogger, withoutBookkeeping } from '@flotilla/kube';
import { clientFor, createNamespace, deleteNamespace, eventually, kubeconfigOrSkip } from '@flotilla/testing';

type ConfigMap = KubeObject & { data?: Record<string, string> };
let client: KubeClient | undefined;
let namespace = '';
after(async () => {
  if (client && namespace) await deleteNamespace(client, namespace);
  await client?.close();
});

const configMap = (name: string, value: string): ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace, labels: { app: 'trim' }, annotations: { note: 'kept by withoutBookkeeping only' } },
  data: { value },
});

test('listed and watched objects enter the cache through the transform', async (t) => {
  const kubeconfig = kubeconfigOrSkip(t);
  if (!kubeconfig) return;
  client = clientFor(kubeconfig);
  namespace = await createNamespace(client, 'trim');
  await client.create(Resources.ConfigMap, configMap('listed', '1'));

  const slim = new Informer<ConfigMap>(client, Resources.ConfigMap, silentLogger, {
    namespace,
    labelSelector: 'app=trim',
    transform: keepOnly({ metadata: { name: true, namespace: true, resourceVersion: true }, data: true }),
  });
  const plain = new Informer<ConfigMap>(client, Resources.ConfigMap, silentLogger, { namespace, labelSelector: 'app=trim' });
  plain.setTransform(withoutBookkeeping);
  const handled: ConfigMap[] = [];
  slim.addHandler({ onAdd: (o) => void handled.push(o), onUpdate: (_old, o) => void handled.push(o) });
  for (const informer of [slim, plain]) {
    informer.start();
    t.after(() => informer.stop());
  }
  assert.ok(await slim.waitForSync());
  assert.ok(await plain.waitForSync());
  assert.throws(() => slim.setTransform(withoutBookkeeping), /before start/);

  await client.create(Resources.ConfigMap, configMap('watched', '2'));
  await client.patch(Resources.ConfigMap, namespace, 'listed', { data: { value: '3' } });
  await eventually(
    () => slim.cache.get(`${namespace}/watched`) !== undefined && slim.cache.get(`${namespace}/listed`)?.data?.value === '3',
    {
      timeoutMs: 20_000,
      intervalMs: 50,
      message: 'the watch events to reach the cache',
    },
  );
  await eventually(() => plain.cache.size === 2 && plain.cache.get(`${namespace}/listed`)?.data?.value === '3', {
    timeoutMs: 20_000,
    intervalMs: 50,
    message: 'the watch events to reach the other cache',
  });

  const server = await client.get<ConfigMap>(Resources.ConfigMap, namespace, 'listed');
  assert.ok((server.metadata as { managedFields?: unknown[] }).managedFields?.length, 'the server keeps managedFields');
  for (const name of ['listed', 'watched']) {
    const kept = slim.cache.get(`${namespace}/${name}`)!;
    assert.deepEqual(Object.keys(kept).sort(), ['data', 'metadata']);
    assert.deepEqual(Object.keys(kept.metadata).sort(), ['name', 'namespace', 'resourceVersion']);
    const whole = plain.cache.get(`${namespace}/${name}`)!;
    assert.equal('managedFields' in whole.metadata, false);
    assert.deepEqual(whole.metadata.annotations, { note: 'kept by withoutBookkeeping only' });
    assert.deepEqual(whole.metadata.labels, { app: 'trim' });
  }
  assert.ok(handled.length >= 3);
  for (const seen of handled) assert.equal('managedFields' in seen.metadata, false, 'handlers see the trimmed object');
});
