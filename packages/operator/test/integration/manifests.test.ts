// The deploy/kubernetes manifests: `kubectl apply --dry-run=server` accepts the CRDs, RBAC,
// the operator Deployment and the example CRs; and the operator, acting as its service
// account under exactly that RBAC, can do its whole job.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { type KubeClient, type KubeObject, loadKubeconfig, Resources } from '@flotilla/kube';
import { clientFor, createNamespace, deleteNamespace, eventually, getOrUndefined, kubeconfigOrSkip, repoRoot } from '@flotilla/testing';
import type { Lease } from '../../src/runtime/leader-election.ts';
import { MicroserviceResource } from '../../src/microservice/crd.ts';
import type { Microservice } from '../../src/microservice/types.ts';
import { startOperator, type RunningOperator } from '../../src/operator.ts';
import { installCrds } from './database/suite.ts';
import { installCrd, testLogger } from './support/kube.ts';
import { kubectl } from '../../../../scripts/test-services/kube.ts';

const deploy = `${join(repoRoot, 'deploy', 'kubernetes')}/`;
let client: KubeClient | undefined;
let operator: RunningOperator | undefined;
let namespace = '';
after(async () => {
  await operator?.stop();
  if (client && namespace) await deleteNamespace(client, namespace);
  await client?.close();
});

test('kubectl apply --dry-run=server accepts the CRDs, RBAC, operator Deployment and examples', async (t) => {
  const kubeconfig = kubeconfigOrSkip(t);
  if (!kubeconfig) return;
  client = clientFor(kubeconfig);
  await kubectl(kubeconfig, 'apply', '-f', `${deploy}operator/namespace.yaml`);
  const { stdout: crds } = await kubectl(kubeconfig, 'apply', '--dry-run=server', '-f', `${deploy}crds`);
  assert.match(crds, /\(server dry run\)/);
  const { stdout: operatorObjects } = await kubectl(kubeconfig, 'apply', '--dry-run=server', '-k', `${deploy}operator`);
  assert.match(operatorObjects, /deployment\.apps\/flotilla-operator .*\(server dry run\)/);
  await installCrds(client);
  const { stdout } = await kubectl(kubeconfig, 'apply', '--dry-run=server', '-k', `${deploy}examples`);
  assert.match(stdout, /microservice\.flotilla\.dev\/greeter .*\(server dry run\)/);
  for (const name of ['users', 'orders']) assert.match(stdout, new RegExp(`database\\.flotilla\\.dev/${name} .*\\(server dry run\\)`));
  for (const name of ['users', 'orders', 'gateway'])
    assert.match(stdout, new RegExp(`microservice\\.flotilla\\.dev/${name} .*\\(server dry run\\)`));
  const { stdout: printed } = await kubectl(kubeconfig, 'get', 'msvc', '-A');
  assert.ok(typeof printed === 'string', 'the short name resolves');
});

test('the operator works with only the RBAC in deploy/kubernetes/operator/rbac.yaml', async (t) => {
  const kubeconfig = kubeconfigOrSkip(t);
  if (!kubeconfig) return;
  client ??= clientFor(kubeconfig);
  await kubectl(kubeconfig, 'apply', '-f', `${deploy}operator/namespace.yaml`, '-f', `${deploy}operator/rbac.yaml`);
  await installCrd(client);
  namespace = await createNamespace(client, 'rbac');
  const sa = 'system:serviceaccount:flotilla-system:flotilla-operator';
  operator = await startOperator({
    connection: {
      ...loadKubeconfig(kubeconfig),
      impersonate: {
        user: sa,
        groups: ['system:serviceaccounts', 'system:serviceaccounts:flotilla-system', 'system:authenticated'],
      },
    },
    log: testLogger(),
    namespace,
    leaseNamespace: 'flotilla-system',
    leaseName: `flotilla-operator-${namespace}`,
  });
  await eventually(() => operator!.isLeader(), { timeoutMs: 30_000, intervalMs: 100, message: 'leadership under the service account' });
  await client.create(MicroserviceResource, {
    apiVersion: 'flotilla.dev/v1alpha1',
    kind: 'Microservice',
    metadata: { name: 'svc', namespace },
    spec: { image: 'x:1', autoscaling: { maxReplicas: 3 } },
  } as Microservice);
  await eventually(
    async () => {
      const ms = await client!.get<Microservice>(MicroserviceResource, namespace, 'svc');
      return (
        ms.status?.observedGeneration === ms.metadata.generation &&
        !!(await getOrUndefined(() => client!.get(Resources.HorizontalPodAutoscaler, namespace, 'svc')))
      );
    },
    { timeoutMs: 60_000, intervalMs: 100, message: 'the HPA and status' },
  );
  await client.patch(MicroserviceResource, namespace, 'svc', { spec: { autoscaling: null } });
  await eventually(async () => !(await getOrUndefined(() => client!.get(Resources.HorizontalPodAutoscaler, namespace, 'svc'))), {
    timeoutMs: 60_000,
    intervalMs: 100,
    message: 'the HPA to be deleted',
  });
  const events = await client.list<KubeObject & { reason: string }>(Resources.Event, namespace);
  assert.ok(
    events.items.some((e) => e.reason === 'Reconciled'),
    'events can be recorded',
  );
  const lease = await client.get<Lease>(Resources.Lease, 'flotilla-system', `flotilla-operator-${namespace}`);
  assert.equal(lease.spec?.holderIdentity, operator.identity);
  const errors = await operator.metrics.registry.getSingleMetric('controller_runtime_reconcile_errors_total')?.get();
  assert.equal(errors?.values.reduce((sum, v) => sum + v.value, 0) ?? 0, 0, 'no reconcile failed (no 403)');
});
