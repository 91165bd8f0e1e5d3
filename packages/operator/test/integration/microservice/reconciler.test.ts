// The Microservice controller against a real API server and controller manager.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { type KubeClient, type KubeObject, loadKubeconfig, Resources } from '@flotilla/kube';
import { clientFor, createNamespace, deleteNamespace, eventually, getOrUndefined, kubeconfigOrSkip } from '@flotilla/testing';
import { MicroserviceResource } from '../../../src/microservice/crd.ts';
import type { Microservice } from '../../../src/microservice/types.ts';
import { startOperator, type RunningOperator } from '../../../src/operator.ts';
import { installCrd, testLogger } from '../support/kube.ts';

let client: KubeClient | undefined;
let operator: RunningOperator | undefined;
let namespace = '';

interface Deployment extends KubeObject {
  spec: {
    replicas?: number;
    template: { spec: { containers: { image: string; env?: { name: string; value: string }[] }[] } };
  };
}

async function setup(t: Parameters<typeof kubeconfigOrSkip>[0]): Promise<KubeClient | undefined> {
  const kubeconfig = kubeconfigOrSkip(t);
  if (!kubeconfig) return undefined;
  if (client) return client;
  client = clientFor(kubeconfig);
  await installCrd(client);
  namespace = await createNamespace(client, 'ms');
  operator = await startOperator({
    connection: loadKubeconfig(kubeconfig),
    log: testLogger(),
    namespace,
    leaseNamespace: namespace,
    healthPort: 0,
    healthHost: '127.0.0.1',
  });
  await eventually(() => operator!.isLeader(), { timeoutMs: 60_000, intervalMs: 100, message: 'the operator to lead' });
  return client;
}

after(async () => {
  await operator?.stop();
  if (client && namespace) await deleteNamespace(client, namespace);
  await client?.close();
});

const get = <T extends KubeObject>(type: typeof Resources.Deployment, name: string) =>
  getOrUndefined(() => client!.get<T>(type, namespace, name));

async function createMicroservice(name: string, spec: Record<string, unknown>): Promise<Microservice> {
  return await client!.create<Microservice>(MicroserviceResource, {
    apiVersion: 'flotilla.dev/v1alpha1',
    kind: 'Microservice',
    metadata: { name, namespace },
    spec: spec as Microservice['spec'],
  });
}

async function waitObserved(name: string): Promise<Microservice> {
  let ms: Microservice | undefined;
  await eventually(
    async () => {
      ms = await client!.get<Microservice>(MicroserviceResource, namespace, name);
      return ms.status?.observedGeneration === ms.metadata.generation;
    },
    { timeoutMs: 60_000, intervalMs: 100, message: `${name} to be reconciled` },
  );
  return ms!;
}

test('a new Microservice converges: Deployment, Service, ConfigMap, PDB owned, status written', async (t) => {
  if (!(await setup(t))) return;
  const created = await createMicroservice('greeter', {
    image: 'flotilla/greeter:1',
    replicas: 2,
    ports: { http: 8083, grpc: 9083 },
    config: { namespace: 'staging', inline: { GREETING: 'hi' } },
  });
  const ms = await waitObserved('greeter');
  const deployment = await get<Deployment>(Resources.Deployment, 'greeter');
  const service = await get<KubeObject & { spec: { ports: { name: string; port: number }[] } }>(Resources.Service, 'greeter');
  const configMap = await get<KubeObject & { data: Record<string, string> }>(Resources.ConfigMap, 'greeter-config');
  const pdb = await get(Resources.PodDisruptionBudget, 'greeter');
  for (const owned of [deployment, service, configMap, pdb]) {
    assert.ok(owned, 'owned object exists');
    const ref = owned.metadata.ownerReferences?.[0];
    assert.equal(ref?.uid, created.metadata.uid);
    assert.equal(ref?.controller, true);
  }
  assert.equal(deployment!.spec.replicas, 2);
  assert.equal(deployment!.spec.template.spec.containers[0]!.image, 'flotilla/greeter:1');
  assert.deepEqual(
    service!.spec.ports.map((p) => [p.name, p.port]),
    [
      ['http', 8083],
      ['grpc', 9083],
    ],
  );
  assert.deepEqual(configMap!.data, { FLOTILLA_ENV: 'staging', GREETING: 'hi' });
  assert.equal(await get(Resources.HorizontalPodAutoscaler, 'greeter'), undefined, 'no HPA without autoscaling');
  const types = Object.fromEntries((ms.status?.conditions ?? []).map((c) => [c.type, c.status]));
  assert.deepEqual(types, { Available: 'False', Progressing: 'True', Degraded: 'False', ReconcileError: 'False' });
  // The apiserver applied the CRD defaults.
  assert.equal(ms.spec.probes?.liveness?.path ?? '/healthz', '/healthz');
});

test('pods reported ready (as a kubelet would) make the Microservice Available', async (t) => {
  if (!(await setup(t))) return;
  await createMicroservice('ready', { image: 'flotilla/ready:1', replicas: 2 });
  // No kubelet here: the ReplicaSet controller creates Pods that stay Pending. Mark them
  // Running and Ready through the status subresource, as a kubelet would.
  const selector = 'flotilla.dev/microservice=ready';
  await eventually(async () => (await client!.list(Resources.Pod, namespace, { labelSelector: selector })).items.length === 2, {
    timeoutMs: 30_000,
    intervalMs: 100,
    message: 'the ReplicaSet controller to create 2 pods',
  });
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  for (const pod of (await client!.list(Resources.Pod, namespace, { labelSelector: selector })).items) {
    await client!.patch(
      Resources.Pod,
      namespace,
      pod.metadata.name!,
      {
        status: {
          phase: 'Running',
          conditions: [
            { type: 'Ready', status: 'True', lastTransitionTime: now },
            { type: 'ContainersReady', status: 'True', lastTransitionTime: now },
          ],
        },
      },
      'merge',
      'status',
    );
  }
  await eventually(
    async () => {
      const ms = await client!.get<Microservice>(MicroserviceResource, namespace, 'ready');
      const byType = Object.fromEntries((ms.status?.conditions ?? []).map((c) => [c.type, c.status]));
      return ms.status?.readyReplicas === 2 && byType.Available === 'True' && byType.Progressing === 'False';
    },
    { timeoutMs: 60_000, intervalMs: 100, message: 'Available=True with 2 ready replicas' },
  );
});

test('updates converge: image change, autoscaling on creates an HPA, off deletes it', async (t) => {
  if (!(await setup(t))) return;
  await createMicroservice('users', { image: 'flotilla/users:1', replicas: 3 });
  await waitObserved('users');
  await client!.patch(MicroserviceResource, namespace, 'users', {
    spec: { image: 'flotilla/users:2', replicas: null, autoscaling: { minReplicas: 2, maxReplicas: 5 } },
  });
  await waitObserved('users');
  await eventually(
    async () => {
      const deployment = await get<Deployment>(Resources.Deployment, 'users');
      const hpa = await get<KubeObject & { spec: { minReplicas: number; maxReplicas: number } }>(
        Resources.HorizontalPodAutoscaler,
        'users',
      );
      return deployment?.spec.template.spec.containers[0]?.image === 'flotilla/users:2' && hpa?.spec.maxReplicas === 5;
    },
    { timeoutMs: 60_000, intervalMs: 100, message: 'the new image and the HPA' },
  );
  await client!.patch(MicroserviceResource, namespace, 'users', { spec: { autoscaling: null, replicas: 4 } });
  await eventually(
    async () => {
      const hpa = await get(Resources.HorizontalPodAutoscaler, 'users');
      const deployment = await get<Deployment>(Resources.Deployment, 'users');
      return hpa === undefined && deployment?.spec.replicas === 4;
    },
    { timeoutMs: 60_000, intervalMs: 100, message: 'the HPA to go and replicas to be 4' },
  );
});

test('the Pod template: counts for the rollout, secrets by reference, a graceful stop, a locked-down container', async (t) => {
  if (!(await setup(t))) return;
  await createMicroservice('shaped', {
    image: 'flotilla/shaped:1',
    rollout: { maxSurge: '1', maxUnavailable: '0' },
    env: [
      { name: 'PLAIN', value: 'x' },
      { name: 'DATABASE_URL', secretKeyRef: { name: 'db', key: 'url' } },
    ],
    serviceAccountName: 'flotilla-service',
    shutdown: { preStopDelaySeconds: 3, terminationGracePeriodSeconds: 2 },
  });
  const ms = await waitObserved('shaped');
  const byType = Object.fromEntries((ms.status?.conditions ?? []).map((c) => [c.type, c.status]));
  assert.equal(byType.ReconcileError, 'False', 'the API server accepted the rendered Deployment');
  // biome-ignore lint/suspicious/noExplicitAny: walks deep into the rendered Deployment
  const deployment = await get<KubeObject & { spec: Record<string, any> }>(Resources.Deployment, 'shaped');
  assert.deepEqual(deployment!.spec.strategy.rollingUpdate, { maxSurge: 1, maxUnavailable: 0 });
  const pod = deployment!.spec.template.spec;
  const container = pod.containers[0];
  assert.deepEqual(container.env, [
    { name: 'PLAIN', value: 'x' },
    { name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'db', key: 'url' } } },
  ]);
  assert.deepEqual(container.lifecycle, { preStop: { sleep: { seconds: 3 } } });
  assert.equal(pod.terminationGracePeriodSeconds, 4, 'the grace period outlasts the preStop delay');
  assert.equal(pod.serviceAccountName, 'flotilla-service');
  assert.equal(container.securityContext.readOnlyRootFilesystem, true);
  assert.deepEqual(container.securityContext.capabilities, { drop: ['ALL'] });
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.deepEqual(
    container.volumeMounts.map((m: { mountPath: string }) => m.mountPath),
    ['/var/lib/flotilla'],
  );
  await assert.rejects(
    createMicroservice('both', {
      image: 'x',
      env: [{ name: 'A', value: 'v', secretKeyRef: { name: 'db', key: 'url' } }],
    }),
    (error: Error & { status?: number }) => error.status === 422,
    'an env item with both a value and a secret is rejected',
  );
});

test('FLOTILLA_CPU_BUDGET: from the CPU limit, else the request, none without either; spec.env wins', async (t) => {
  if (!(await setup(t))) return;
  const cases: { name: string; spec: Record<string, unknown>; env: { name: string; value: string }[] | undefined }[] = [
    {
      name: 'cpu-limit',
      spec: { resources: { requests: { cpu: '500m' }, limits: { cpu: '2500m', memory: '256Mi' } } },
      env: [{ name: 'FLOTILLA_CPU_BUDGET', value: '2' }],
    },
    { name: 'cpu-request', spec: { resources: { requests: { cpu: '250m' } } }, env: [{ name: 'FLOTILLA_CPU_BUDGET', value: '1' }] },
    { name: 'cpu-none', spec: { resources: { limits: { memory: '128Mi' } } }, env: undefined },
    {
      name: 'cpu-own',
      spec: {
        resources: { limits: { cpu: '4' } },
        env: [
          { name: 'A', value: 'a' },
          { name: 'FLOTILLA_CPU_BUDGET', value: '3' },
        ],
      },
      env: [
        { name: 'A', value: 'a' },
        { name: 'FLOTILLA_CPU_BUDGET', value: '3' },
      ],
    },
  ];
  for (const { name, spec } of cases) await createMicroservice(name, { image: `flotilla/${name}:1`, ...spec });
  for (const { name, env } of cases) {
    const ms = await waitObserved(name);
    const byType = Object.fromEntries((ms.status?.conditions ?? []).map((c) => [c.type, c.status]));
    assert.equal(byType.ReconcileError, 'False', `${name}: the API server accepted the rendered Deployment`);
    const deployment = await get<Deployment>(Resources.Deployment, name);
    assert.deepEqual(deployment!.spec.template.spec.containers[0]!.env, env, name);
  }
  // A limit added later reaches the Deployment; the budget follows the spec.
  await client!.patch(MicroserviceResource, namespace, 'cpu-none', { spec: { resources: { limits: { cpu: '1', memory: '128Mi' } } } });
  await eventually(
    async () => {
      const env = (await get<Deployment>(Resources.Deployment, 'cpu-none'))?.spec.template.spec.containers[0]?.env;
      return env?.length === 1 && env[0]!.name === 'FLOTILLA_CPU_BUDGET' && env[0]!.value === '1';
    },
    { timeoutMs: 60_000, intervalMs: 100, message: 'the new limit to set FLOTILLA_CPU_BUDGET' },
  );
});

test('drift is repaired: a hand-edited Deployment and a deleted Service are put back', async (t) => {
  if (!(await setup(t))) return;
  await createMicroservice('orders', { image: 'flotilla/orders:1', replicas: 2 });
  await waitObserved('orders');
  await eventually(async () => !!(await get(Resources.Service, 'orders')) && !!(await get(Resources.Deployment, 'orders')), {
    timeoutMs: 60_000,
    intervalMs: 100,
    message: 'owned objects',
  });
  // Someone else (another field manager) scales and re-images the Deployment, and deletes the Service.
  await client!.request('PATCH', `/apis/apps/v1/namespaces/${namespace}/deployments/orders`, {
    body: { spec: { replicas: 7, template: { spec: { containers: [{ name: 'app', image: 'evil:latest' }] } } } },
    contentType: 'application/strategic-merge-patch+json',
    query: { fieldManager: 'kubectl-edit' },
  });
  await client!.delete(Resources.Service, namespace, 'orders');
  await eventually(
    async () => {
      const deployment = await get<Deployment>(Resources.Deployment, 'orders');
      const service = await get(Resources.Service, 'orders');
      return deployment?.spec.replicas === 2 && deployment.spec.template.spec.containers[0]?.image === 'flotilla/orders:1' && !!service;
    },
    { timeoutMs: 60_000, intervalMs: 100, message: 'the Deployment and Service to be repaired' },
  );
  const events = await client!.list<KubeObject & { reason: string; involvedObject: { name: string } }>(Resources.Event, namespace);
  assert.ok(
    events.items.some((e) => e.involvedObject.name === 'orders' && e.reason === 'DriftRepaired'),
    'a DriftRepaired event was recorded',
  );
});

test('deleting a Microservice cascades through the garbage collector', async (t) => {
  if (!(await setup(t))) return;
  await createMicroservice('doomed', { image: 'flotilla/doomed:1' });
  await waitObserved('doomed');
  await eventually(async () => !!(await get(Resources.Deployment, 'doomed')) && !!(await get(Resources.ConfigMap, 'doomed-config')), {
    timeoutMs: 60_000,
    intervalMs: 100,
    message: 'owned objects',
  });
  await client!.delete(MicroserviceResource, namespace, 'doomed');
  await eventually(
    async () =>
      (await get(Resources.Deployment, 'doomed')) === undefined &&
      (await get(Resources.Service, 'doomed')) === undefined &&
      (await get(Resources.ConfigMap, 'doomed-config')) === undefined &&
      (await get(Resources.PodDisruptionBudget, 'doomed')) === undefined,
    { timeoutMs: 60_000, intervalMs: 100, message: 'the owned objects to be collected' },
  );
});

test('invalid specs are rejected by the CRD schema', async (t) => {
  if (!(await setup(t))) return;
  await assert.rejects(createMicroservice('bad', { replicas: -1 }), (error: Error & { status?: number }) => error.status === 422);
});

test('the operator serves /readyz (caches synced, watches alive) and controller-runtime metrics', async (t) => {
  if (!(await setup(t))) return;
  const base = `http://127.0.0.1:${operator!.healthPort}`;
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  const ready = await fetch(`${base}/readyz`);
  assert.equal(ready.status, 200);
  const metrics = await (await fetch(`${base}/metrics`)).text();
  for (const name of [
    'controller_runtime_reconcile_total',
    'controller_runtime_reconcile_errors_total',
    'controller_runtime_reconcile_time_seconds',
    'controller_runtime_max_concurrent_reconciles',
    'controller_runtime_active_workers',
    'workqueue_depth',
    'workqueue_adds_total',
    'workqueue_queue_duration_seconds',
    'workqueue_work_duration_seconds',
    'workqueue_retries_total',
    'leader_election_master_status',
  ]) {
    assert.match(metrics, new RegExp(`^# TYPE ${name} `, 'm'), name);
  }
  assert.match(metrics, /controller_runtime_reconcile_total\{controller="microservice",result="success"\} [1-9]/);
  assert.match(metrics, /leader_election_master_status\{name="flotilla-operator"\} 1/);
});
