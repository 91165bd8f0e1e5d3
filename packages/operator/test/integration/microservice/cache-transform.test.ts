// The Microservice controller on trimmed caches (cache-shapes.ts), against a real API server:
// the cached objects carry no managedFields and no annotations, and a Microservice still
// converges, follows a spec change and has a hand-made change to its Deployment repaired.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { KubeClient, type KubeObject, loadKubeconfig, objectKey, Resources } from '@flotilla/kube';
import { clientFor, createNamespace, deleteNamespace, eventually, kubeconfigOrSkip } from '@flotilla/testing';
import { MicroserviceResource } from '../../../src/microservice/crd.ts';
import type { Microservice } from '../../../src/microservice/types.ts';
import { startOperator, type RunningOperator } from '../../../src/operator.ts';
import { installCrd, testLogger } from '../support/kube.ts';

interface Deployment extends KubeObject {
  spec: { template: { spec: { containers: { image: string; imagePullPolicy?: string }[] } } };
  status?: Record<string, unknown>;
}

let client: KubeClient | undefined;
let someoneElse: KubeClient | undefined;
let operator: RunningOperator | undefined;
let namespace = '';

after(async () => {
  await operator?.stop();
  if (client && namespace) await deleteNamespace(client, namespace);
  await client?.close();
  await someoneElse?.close();
});

const imageOf = (deployment: Deployment | undefined) => deployment?.spec.template.spec.containers[0]?.image;

test('trimmed caches hold no managedFields, and a Microservice still converges and is kept in line', async (t) => {
  const kubeconfig = kubeconfigOrSkip(t);
  if (!kubeconfig) return;
  client = clientFor(kubeconfig);
  someoneElse = new KubeClient(loadKubeconfig(kubeconfig), { fieldManager: 'someone-else' });
  await installCrd(client);
  namespace = await createNamespace(client, 'trim');
  operator = await startOperator({ connection: loadKubeconfig(kubeconfig), log: testLogger(), namespace, leaseNamespace: namespace });
  await eventually(() => operator!.isLeader(), { timeoutMs: 60_000, intervalMs: 100, message: 'the operator to lead' });

  await client.create<Microservice>(MicroserviceResource, {
    apiVersion: 'flotilla.dev/v1alpha1',
    kind: 'Microservice',
    metadata: { name: 'slim', namespace, annotations: { note: 'not read by the operator' } },
    spec: { image: 'example/slim:1', replicas: 1, config: { inline: { A: '1' } } },
  });
  const observed = async (generation?: number) =>
    await eventually(
      async () => {
        const ms = await client!.get<Microservice>(MicroserviceResource, namespace, 'slim');
        return ms.status?.observedGeneration === ms.metadata.generation &&
          (generation === undefined || ms.metadata.generation === generation)
          ? ms
          : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100, message: 'slim to be reconciled' },
    );
  await observed();

  // The API server keeps managedFields and defaults; the operator's caches do not.
  const key = `${namespace}/slim`;
  const live = await client.get<Deployment>(Resources.Deployment, namespace, 'slim');
  assert.ok((live.metadata as { managedFields?: unknown[] }).managedFields?.length, 'the server has managedFields');
  assert.equal(live.spec.template.spec.containers[0]!.imagePullPolicy, 'IfNotPresent', 'the server defaulted imagePullPolicy');
  const cachedOwned = [...operator.controller.owned.values()].flatMap((informer) => informer.cache.list());
  assert.ok(cachedOwned.length >= 4, 'ConfigMap, Deployment, Service and PodDisruptionBudget are cached');
  for (const cached of [...cachedOwned, ...operator.controller.primary.cache.list()]) {
    assert.equal('managedFields' in cached.metadata, false, `${objectKey(cached)}: no managedFields in the cache`);
    assert.equal(cached.metadata.annotations, undefined, `${objectKey(cached)}: no annotations in the cache`);
  }
  const cachedDeployment = operator.controller.owned.get('Deployment')!.cache.get(key) as Deployment;
  assert.equal(imageOf(cachedDeployment), 'example/slim:1');
  assert.equal(cachedDeployment.spec.template.spec.containers[0]!.imagePullPolicy, undefined, 'server defaults are not cached');

  // A spec change reaches the Deployment.
  const changed = await client.patch<Microservice>(MicroserviceResource, namespace, 'slim', { spec: { image: 'example/slim:2' } });
  await observed(changed.metadata.generation);
  await eventually(async () => imageOf(await client!.get<Deployment>(Resources.Deployment, namespace, 'slim')) === 'example/slim:2', {
    timeoutMs: 30_000,
    intervalMs: 100,
    message: 'the Deployment to follow the spec',
  });

  // Someone else's change to a field we set is seen through the trimmed cache and repaired.
  await someoneElse.patch(Resources.Deployment, namespace, 'slim', {
    spec: { template: { spec: { containers: [{ name: 'app', image: 'someone/else:9' }] } } },
  });
  await eventually(async () => imageOf(await client!.get<Deployment>(Resources.Deployment, namespace, 'slim')) === 'example/slim:2', {
    timeoutMs: 30_000,
    intervalMs: 100,
    message: 'the operator to repair the Deployment',
  });
});
