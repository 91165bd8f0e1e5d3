// When things go wrong: the server unreachable while a Database is deleted, a database name
// someone else holds, and an administrator password rotated on the server before its Secret.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { type KubeObject, Resources } from '@flotilla/kube';
import { eventually, freePort } from '@flotilla/testing';
import { DatabaseResource } from '../../../src/database/crd.ts';
import type { Engine } from '../../../src/database/types.ts';
import {
  adminUrlOf,
  appDsn,
  asAdmin,
  asUser,
  condition,
  createDatabase,
  ENGINES,
  getDatabase,
  putAdminSecret,
  putServerSecret,
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

async function setup(t: Parameters<typeof startSuite>[0]): Promise<Suite | undefined> {
  if (suite) return suite;
  suite = await startSuite(t, 'db-failures');
  if (suite) for (const engine of ENGINES) await putAdminSecret(suite, engine);
  return suite;
}

/** The harness's administrator URL with another user, password or port. */
function adminVariant(engine: Engine, change: { user?: string; password?: string; port?: number }): string {
  const url = new URL(adminUrlOf(engine));
  if (change.user) url.username = change.user;
  if (change.password) url.password = change.password;
  if (change.port) url.port = String(change.port);
  return url.toString();
}

for (const engine of ENGINES) {
  describe(engine, () => {
    const k = (name: string) => `${engine === 'postgresql' ? 'pg' : 'my'}-${name}`;

    test('server unreachable during delete: the finalizer stays and says why; once it is back, the drop completes', async (t) => {
      const s = await setup(t);
      if (!s) return;
      const name = uniqueName('down');
      const secret = k('down-admin');
      await putServerSecret(s.client, s.namespace, secret, adminUrlOf(engine));
      await createDatabase(s, k('down'), { engine, databaseName: name, deletionPolicy: 'Delete', server: { secretRef: { name: secret } } });
      await waitForReady(s, k('down'));
      // Nothing listens on that port: connections are refused.
      await putServerSecret(s.client, s.namespace, secret, adminVariant(engine, { port: await freePort() }));
      await waitForReady(s, k('down'), 'False', 'ServerUnreachable');
      await s.client.delete(DatabaseResource, s.namespace, k('down'));
      const stuck = await eventually(
        async () => {
          const db = await getDatabase(s, k('down'));
          const degraded = condition(db, 'Degraded');
          return db?.metadata.deletionTimestamp && degraded?.reason === 'ServerUnreachable' && /finalizer stays/.test(degraded.message)
            ? db
            : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 50, message: 'the failed drop in the status' },
      );
      assert.deepEqual(stuck.metadata.finalizers, ['flotilla.dev/database']);
      assert.equal(condition(stuck, 'Ready')?.reason, 'Deleting');
      assert.match(condition(stuck, 'Degraded')!.message, /cannot reach the .* server at 127\.0\.0\.1:\d+/);
      assert.doesNotMatch(JSON.stringify(stuck.status), /flotilla:flotilla|:\/\//, 'no DSN or password in the status');
      assert.deepEqual(await serverHas(engine, name), { database: true, role: true }, 'nothing dropped yet');
      // The server is back (its Secret fixed): the watch on the Secret brings the drop at once.
      await putServerSecret(s.client, s.namespace, secret, adminUrlOf(engine));
      await waitGone(s, k('down'));
      assert.deepEqual(await serverHas(engine, name), { database: false, role: false });
    });

    test('a database name another Database holds: the second reports the conflict and changes nothing', async (t) => {
      const s = await setup(t);
      if (!s) return;
      const name = uniqueName('shared');
      await createDatabase(s, k('first'), { engine, databaseName: name, deletionPolicy: 'Delete' });
      await waitForReady(s, k('first'));
      const dsn = await appDsn(s, k('first'));
      await createDatabase(s, k('second'), { engine, databaseName: name, deletionPolicy: 'Delete' });
      const second = await waitForReady(s, k('second'), 'False', 'NameConflict');
      assert.match(condition(second, 'Ready')!.message, new RegExp(`belongs to Database ${s.namespace}/${k('first')}`));
      assert.equal(condition(second, 'Degraded')?.status, 'True');
      assert.equal(second.status?.secretName, undefined);
      await assert.rejects(s.client.get(Resources.Secret, s.namespace, `${k('second')}-db-credentials`), 'no Secret for the second');
      assert.equal(await appDsn(s, k('first')), dsn, "the first's Secret is untouched");
      assert.deepEqual(await asUser(engine, dsn, 'SELECT 1 AS one'), [{ one: 1 }], "the first's password still works");
      // Deleting the loser (even with Delete) leaves the winner's database alone.
      await s.client.delete(DatabaseResource, s.namespace, k('second'));
      await waitGone(s, k('second'));
      assert.deepEqual(await serverHas(engine, name), { database: true, role: true });
      assert.deepEqual(await asUser(engine, dsn, 'SELECT 1 AS one'), [{ one: 1 }]);
      await s.client.delete(DatabaseResource, s.namespace, k('first'));
      await waitGone(s, k('first'));
    });

    test('a database that exists but was not made by the operator is left alone', async (t) => {
      const s = await setup(t);
      if (!s) return;
      const name = uniqueName('theirs');
      s.created.set(name, engine);
      await asAdmin(engine, engine === 'postgresql' ? `CREATE DATABASE "${name}"` : `CREATE DATABASE \`${name}\``);
      await createDatabase(s, k('theirs'), { engine, databaseName: name, deletionPolicy: 'Delete' });
      const db = await waitForReady(s, k('theirs'), 'False', 'NameConflict');
      assert.match(condition(db, 'Ready')!.message, /exists and is not managed by the operator/);
      assert.deepEqual(await serverHas(engine, name), { database: true, role: false }, 'no role was made');
      await s.client.delete(DatabaseResource, s.namespace, k('theirs'));
      await waitGone(s, k('theirs'));
      assert.deepEqual(await serverHas(engine, name), { database: true, role: false }, 'not dropped');
    });

    test('administrator password rotated: a stale server Secret fails the reconcile; the updated Secret completes it at once', async (t) => {
      const s = await setup(t);
      if (!s) return;
      // An administrator of the test's own, so the harness's stays as it is.
      const admin = uniqueName('admin');
      s.created.set(admin, engine);
      if (engine === 'postgresql') await asAdmin(engine, `CREATE ROLE "${admin}" LOGIN CREATEDB CREATEROLE PASSWORD 'first-password'`);
      else {
        await asAdmin(engine, "CREATE USER ?@'%' IDENTIFIED BY 'first-password'", [admin]);
        await asAdmin(engine, `GRANT ALL PRIVILEGES ON *.* TO \`${admin}\`@'%' WITH GRANT OPTION`);
      }
      const secret = k('rotating-admin');
      await putServerSecret(s.client, s.namespace, secret, adminVariant(engine, { user: admin, password: 'first-password' }));
      const name = uniqueName('app');
      await createDatabase(s, k('app'), { engine, databaseName: name, deletionPolicy: 'Delete', server: { secretRef: { name: secret } } });
      await waitForReady(s, k('app'));
      const before = await appDsn(s, k('app'));

      if (engine === 'postgresql') await asAdmin(engine, `ALTER ROLE "${admin}" PASSWORD 'second-password'`);
      else await asAdmin(engine, "ALTER USER ?@'%' IDENTIFIED BY 'second-password'", [admin]);
      await s.client.patch(DatabaseResource, s.namespace, k('app'), { spec: { passwordRotation: 'after-admin-rotation' } });
      await waitForReady(s, k('app'), 'False', 'ServerAuthenticationFailed');
      assert.equal(await appDsn(s, k('app')), before, 'nothing changed with stale credentials');

      await putServerSecret(s.client, s.namespace, secret, adminVariant(engine, { user: admin, password: 'second-password' }));
      await waitForReady(s, k('app'));
      const rotated = await appDsn(s, k('app'));
      assert.notEqual(rotated, before);
      assert.deepEqual(await asUser(engine, rotated, 'SELECT 1 AS one'), [{ one: 1 }]);
      await eventually(
        async () => {
          const events = await s.client.list<KubeObject & { reason: string; involvedObject: { name: string } }>(
            Resources.Event,
            s.namespace,
          );
          return events.items.some((e) => e.involvedObject.name === k('app') && e.reason === 'PasswordRotated');
        },
        { timeoutMs: 30_000, intervalMs: 100, message: 'a PasswordRotated event' },
      );
      await s.client.delete(DatabaseResource, s.namespace, k('app'));
      await waitGone(s, k('app'));
      assert.deepEqual(await serverHas(engine, name), { database: false, role: false }, 'dropped by the non-superuser administrator');
    });
  });
}
