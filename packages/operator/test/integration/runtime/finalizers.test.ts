// Finalizer patches are guarded by resourceVersion and never drop others' finalizers.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { type KubeClient, type KubeObject, Resources } from '@flotilla/kube';
import { clientFor, createNamespace, deleteNamespace, kubeconfigOrSkip } from '@flotilla/testing';
import { addFinalizer, removeFinalizer } from '../../../src/runtime/finalizers.ts';

let client: KubeClient | undefined;
let namespace = '';
after(async () => {
  if (client && namespace) await deleteNamespace(client, namespace);
  await client?.close();
});

test('add/remove finalizers keep other finalizers and fail on a stale resourceVersion', async (t) => {
  const kubeconfig = kubeconfigOrSkip(t);
  if (!kubeconfig) return;
  client = clientFor(kubeconfig);
  namespace = await createNamespace(client, 'fin');
  const created = await client.create<KubeObject>(Resources.ConfigMap, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'f', namespace, finalizers: ['example.com/theirs'] },
  });
  const withOurs = await addFinalizer(client, Resources.ConfigMap, created, 'flotilla.dev/ours');
  assert.deepEqual(withOurs.metadata.finalizers, ['example.com/theirs', 'flotilla.dev/ours']);
  assert.equal(await addFinalizer(client, Resources.ConfigMap, withOurs, 'flotilla.dev/ours'), withOurs, 'idempotent');

  // Someone else changes the object: our copy is stale and the guarded patch must fail.
  await client.patch(Resources.ConfigMap, namespace, 'f', {
    metadata: { finalizers: ['example.com/theirs', 'flotilla.dev/ours', 'example.com/late'] },
  });
  await assert.rejects(
    removeFinalizer(client, Resources.ConfigMap, withOurs, 'flotilla.dev/ours'),
    (e: Error & { status?: number }) => e.status === 422 || e.status === 409,
  );

  const fresh = await client.get<KubeObject>(Resources.ConfigMap, namespace, 'f');
  const removed = await removeFinalizer(client, Resources.ConfigMap, fresh, 'flotilla.dev/ours');
  assert.deepEqual(removed.metadata.finalizers, ['example.com/theirs', 'example.com/late']);
  await client.patch(Resources.ConfigMap, namespace, 'f', { metadata: { finalizers: null } });
});
