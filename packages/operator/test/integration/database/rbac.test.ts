// The Database controller's whole job with only the RBAC in deploy/kubernetes/operator/rbac.yaml,
// acting as the operator's service account.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadKubeconfig } from '@flotilla/kube';
import { eventually, repoRoot } from '@flotilla/testing';
import { DatabaseResource } from '../../../src/database/crd.ts';
import { kubectl } from '../../../../../scripts/test-services/kube.ts';
import {
  appDsn,
  asUser,
  createDatabase,
  putAdminSecret,
  serverHas,
  type Suite,
  startSuite,
  uniqueName,
  waitForReady,
  waitGone,
} from './suite.ts';

let suite: Suite | undefined;
after(async () => {
  await suite?.close();
});

test('provision, rotate and drop as the flotilla-operator service account', async (t) => {
  suite = await startSuite(t, 'db-rbac');
  const s = suite;
  if (!s) return;
  const operatorDir = join(repoRoot, 'deploy', 'kubernetes', 'operator');
  await kubectl(s.kubeconfig, 'apply', '-f', join(operatorDir, 'namespace.yaml'), '-f', join(operatorDir, 'rbac.yaml'));
  await s.stopOperator();
  const operator = await s.startOperator({
    connection: {
      ...loadKubeconfig(s.kubeconfig),
      impersonate: {
        user: 'system:serviceaccount:flotilla-system:flotilla-operator',
        groups: ['system:serviceaccounts', 'system:serviceaccounts:flotilla-system', 'system:authenticated'],
      },
    },
    leaseNamespace: 'flotilla-system',
    leaseName: `flotilla-operator-${s.namespace}`,
  });
  assert.ok(operator.databaseController, 'the Database controller is on under this RBAC');
  await eventually(() => operator.ready().ok, {
    timeoutMs: 30_000,
    intervalMs: 50,
    message: 'every watch (Secrets included) to be allowed',
  });

  await putAdminSecret(s, 'postgresql');
  const name = uniqueName('rbac');
  await createDatabase(s, 'rbac', { engine: 'postgresql', databaseName: name, deletionPolicy: 'Delete' });
  await waitForReady(s, 'rbac');
  const first = await appDsn(s, 'rbac');
  await s.client.patch(DatabaseResource, s.namespace, 'rbac', { spec: { passwordRotation: '1' } });
  const second = await eventually(async () => ((await appDsn(s, 'rbac')) !== first ? await appDsn(s, 'rbac') : undefined), {
    timeoutMs: 60_000,
    intervalMs: 50,
    message: 'the Secret to be replaced',
  });
  await waitForReady(s, 'rbac');
  assert.deepEqual(await asUser('postgresql', second, 'SELECT 1 AS one'), [{ one: 1 }]);
  await s.client.delete(DatabaseResource, s.namespace, 'rbac');
  await waitGone(s, 'rbac');
  assert.deepEqual(await serverHas('postgresql', name), { database: false, role: false });
  const errors = await operator.metrics.registry.getSingleMetric('controller_runtime_reconcile_errors_total')?.get();
  assert.equal(errors?.values.reduce((sum, v) => sum + v.value, 0) ?? 0, 0, 'no reconcile failed (no 403)');
});
