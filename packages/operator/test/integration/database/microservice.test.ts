// A Microservice naming a Database: it waits (DatabaseReady False) until the Database is
// Ready, then its Pods get the DSN from the Database's Secret; a new password rolls them.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { type KubeObject, Resources } from '@flotilla/kube';
import { eventually, getOrUndefined } from '@flotilla/testing';
import { DatabaseResource } from '../../../src/database/crd.ts';
import { MicroserviceResource } from '../../../src/microservice/crd.ts';
import type { Microservice } from '../../../src/microservice/types.ts';
import { appDsn, createDatabase, putAdminSecret, type Suite, startSuite, uniqueName, waitForReady, waitGone } from './suite.ts';

let suite: Suite | undefined;
after(async () => {
  await suite?.close();
});

interface Deployment extends KubeObject {
  spec: {
    template: {
      metadata: { annotations?: Record<string, string> };
      spec: { containers: { env?: { name: string; value?: string; valueFrom?: unknown }[] }[] };
    };
  };
}

const HASH = 'flotilla.dev/database-secret-hash';

test('a Microservice waits on DatabaseReady, then gets the DSN by reference; a rotation rolls its Pods', async (t) => {
  suite = await startSuite(t, 'db-msvc');
  const s = suite;
  if (!s) return;
  await putAdminSecret(s, 'postgresql');
  const ms = (name: string) => s.client.get<Microservice>(MicroserviceResource, s.namespace, name);
  const deployment = () => getOrUndefined(() => s.client.get<Deployment>(Resources.Deployment, s.namespace, 'users'));
  const databaseReady = async () => (await ms('users')).status?.conditions?.find((c) => c.type === 'DatabaseReady');

  await s.client.create<Microservice>(MicroserviceResource, {
    apiVersion: 'flotilla.dev/v1alpha1',
    kind: 'Microservice',
    metadata: { name: 'users', namespace: s.namespace },
    spec: { image: 'flotilla/users:1', database: { name: 'users-db' } },
  });
  const waiting = await eventually(
    async () => {
      const condition = await databaseReady();
      return condition?.status === 'False' && condition.reason === 'DatabaseNotFound' ? condition : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 50, message: 'DatabaseReady False (DatabaseNotFound)' },
  );
  assert.match(waiting.message, /Database users-db does not exist/);
  const available = (await ms('users')).status?.conditions?.find((c) => c.type === 'Available');
  assert.equal(available?.reason, 'WaitingForDatabase');
  assert.equal(await deployment(), undefined, 'no Deployment while the database is missing');
  assert.ok(await s.client.get(Resources.Service, s.namespace, 'users'), 'the rest is there already');

  await createDatabase(s, 'users-db', { engine: 'postgresql', databaseName: uniqueName('users'), deletionPolicy: 'Delete' });
  await waitForReady(s, 'users-db');
  await eventually(async () => (await databaseReady())?.status === 'True', {
    timeoutMs: 60_000,
    intervalMs: 50,
    message: 'DatabaseReady True',
  });
  const first = await eventually(deployment, { timeoutMs: 60_000, intervalMs: 50, message: 'the Deployment' });
  const env = first.spec.template.spec.containers[0]!.env;
  assert.deepEqual(env, [{ name: 'USERS_DATABASE_URL', valueFrom: { secretKeyRef: { name: 'users-db-db-credentials', key: 'dsn' } } }]);
  const firstHash = first.spec.template.metadata.annotations?.[HASH];
  assert.match(firstHash ?? '', /^[0-9a-f]{16}$/);
  assert.doesNotMatch(
    JSON.stringify(first),
    new RegExp((await appDsn(s, 'users-db')).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')),
    'no DSN in the Deployment',
  );

  // A new password: the Secret changes, so does the Pod template (a rollout).
  await s.client.patch(DatabaseResource, s.namespace, 'users-db', { spec: { passwordRotation: 'now' } });
  const rolled = await eventually(
    async () => {
      const current = await deployment();
      const hash = current?.spec.template.metadata.annotations?.[HASH];
      return hash && hash !== firstHash ? current : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 50, message: 'the Pod template to change with the Secret' },
  );
  assert.ok((rolled.metadata.generation ?? 0) > (first.metadata.generation ?? 0), 'a new Deployment generation: the Pods roll');

  // Without spec.database the variable, the annotation and the condition go.
  await s.client.patch(MicroserviceResource, s.namespace, 'users', { spec: { database: null } });
  await eventually(
    async () => {
      const current = await deployment();
      const condition = await databaseReady();
      return (
        current !== undefined &&
        current.spec.template.spec.containers[0]?.env === undefined &&
        !current.spec.template.metadata.annotations?.[HASH] &&
        !condition
      );
    },
    { timeoutMs: 60_000, intervalMs: 50, message: 'the database wiring to be removed' },
  );
  await s.client.delete(DatabaseResource, s.namespace, 'users-db');
  await waitGone(s, 'users-db');
});
