// A Database's life on the harness's PostgreSQL and MariaDB: provisioned with least
// privilege, its password rotated on request, dropped with Delete, kept with Retain (and
// taken back by a Database of the same name).
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { type KubeObject, Resources } from '@flotilla/kube';
import { eventually } from '@flotilla/testing';
import { DatabaseResource } from '../../../src/database/crd.ts';
import type { Engine } from '../../../src/database/types.ts';
import {
  appDsn,
  asAdmin,
  asUser,
  condition,
  createDatabase,
  ENGINES,
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

async function setup(t: Parameters<typeof startSuite>[0]): Promise<Suite | undefined> {
  if (suite) return suite;
  suite = await startSuite(t, 'db-provision');
  if (suite) for (const engine of ENGINES) await putAdminSecret(suite, engine);
  return suite;
}

/** Creates a table as the application and says which schema it landed in. */
async function createTable(engine: Engine, dsn: string): Promise<string> {
  if (engine === 'postgresql') {
    await asUser(engine, dsn, 'CREATE TABLE notes (id integer PRIMARY KEY, body text)');
    await asUser(engine, dsn, "INSERT INTO notes VALUES (1, 'hello')");
    const [row] = await asUser<{ table_schema: string }>(
      engine,
      dsn,
      "SELECT table_schema FROM information_schema.tables WHERE table_name = 'notes'",
    );
    return row!.table_schema;
  }
  await asUser(engine, dsn, 'CREATE TABLE notes (id integer PRIMARY KEY, body text)');
  await asUser(engine, dsn, "INSERT INTO notes VALUES (1, 'hello')");
  const [row] = await asUser<{ db: string }>(engine, dsn, 'SELECT DATABASE() AS db');
  return row!.db;
}

/** The same credentials, pointed at another database. */
function onDatabase(dsn: string, database: string): string {
  const url = new URL(dsn);
  url.pathname = `/${database}`;
  return url.toString();
}

for (const engine of ENGINES) {
  describe(engine, () => {
    // Object names per engine, so both engines share one namespace.
    const k = (name: string) => `${engine === 'postgresql' ? 'pg' : 'my'}-${name}`;
    test('a new Database gets a database, a role with only its privileges, and an owned Secret with a working DSN', async (t) => {
      const s = await setup(t);
      if (!s) return;
      const name = uniqueName('app');
      const other = uniqueName('other');
      const created = await createDatabase(s, k('app'), { engine, databaseName: name });
      await createDatabase(s, k('other'), { engine, databaseName: other, deletionPolicy: 'Delete' });
      const ready = await waitForReady(s, k('app'));
      await waitForReady(s, k('other'));
      assert.equal(ready.status?.secretName, `${k('app')}-db-credentials`);
      assert.match(ready.status?.serverVersion ?? '', engine === 'postgresql' ? /^\d+\.\d+/ : /MariaDB/);
      assert.equal(condition(ready, 'Degraded')?.status, 'False');
      assert.ok(ready.metadata.finalizers?.includes('flotilla.dev/database'), 'the finalizer is on');
      assert.equal(ready.spec.deletionPolicy, 'Retain', 'the CRD defaults deletionPolicy');

      const secret = await s.client.get<KubeObject & { data: Record<string, string> }>(
        Resources.Secret,
        s.namespace,
        `${k('app')}-db-credentials`,
      );
      const owner = secret.metadata.ownerReferences?.[0];
      assert.equal(owner?.uid, created.metadata.uid, 'the Database owns its Secret');
      assert.equal(owner?.controller, true);
      assert.deepEqual(Object.keys(secret.data).sort(), ['database', 'dsn', 'host', 'password', 'port', 'username']);

      const dsn = await appDsn(s, k('app'));
      assert.ok(dsn.startsWith(engine === 'postgresql' ? 'postgres://' : 'mysql://'));
      assert.equal(await createTable(engine, dsn), name, 'the table lands in its own schema / database');
      assert.deepEqual(await serverHas(engine, name), { database: true, role: true });

      // Another Database's database is out of reach.
      await assert.rejects(
        asUser(engine, onDatabase(dsn, other), 'SELECT 1'),
        (error: { code?: string }) => ['42501', 'ER_DBACCESS_DENIED_ERROR'].includes(error.code ?? ''),
        'connecting to another Database is refused',
      );
      if (engine === 'postgresql') {
        // Only the role itself may connect: PUBLIC lost CONNECT.
        const [row] = await asAdmin<{ open: boolean }>(engine, "SELECT has_database_privilege('public', $1, 'CONNECT') AS open", [name]);
        assert.equal(row!.open, false);
        const [attrs] = await asAdmin<Record<string, boolean>>(
          engine,
          'SELECT rolsuper, rolcreatedb, rolcreaterole, rolcanlogin FROM pg_roles WHERE rolname = $1',
          [name],
        );
        assert.deepEqual(attrs, { rolsuper: false, rolcreatedb: false, rolcreaterole: false, rolcanlogin: true });
      } else {
        const grants = await asUser<Record<string, string>>(engine, dsn, 'SHOW GRANTS');
        const text = grants.map((row) => Object.values(row)[0]).join('\n');
        assert.doesNotMatch(text, /ON \*\.\*.*(ALL|SELECT|CREATE)/, 'no global privileges');
        assert.match(text, new RegExp(`ALL PRIVILEGES ON \`${name.replace('_', '\\\\_')}\`\\.\\*`));
      }
      await s.client.delete(DatabaseResource, s.namespace, k('other'));
      await waitGone(s, k('other'));
    });

    test('a rotation request gives the role a new password and rewrites the Secret; the old one stops working', async (t) => {
      const s = await setup(t);
      if (!s) return;
      const name = uniqueName('rot');
      await createDatabase(s, k('rot'), { engine, databaseName: name, deletionPolicy: 'Delete' });
      await waitForReady(s, k('rot'));
      const before = await appDsn(s, k('rot'));
      await s.client.patch(DatabaseResource, s.namespace, k('rot'), { spec: { passwordRotation: '2024-06-01' } });
      const after = await eventually(
        async () => {
          const dsn = await appDsn(s, k('rot'));
          return dsn !== before ? dsn : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 50, message: 'the Secret to get a new password' },
      );
      await waitForReady(s, k('rot'));
      assert.equal(new URL(after).host, new URL(before).host);
      assert.deepEqual(await asUser(engine, after, 'SELECT 1 AS one'), [{ one: 1 }]);
      await assert.rejects(asUser(engine, before, 'SELECT 1'), 'the old password is refused');
      await s.client.delete(DatabaseResource, s.namespace, k('rot'));
      await waitGone(s, k('rot'));
    });

    test('deletionPolicy Delete drops the database and its role; the finalizer goes last', async (t) => {
      const s = await setup(t);
      if (!s) return;
      const name = uniqueName('gone');
      await createDatabase(s, k('gone'), { engine, databaseName: name, deletionPolicy: 'Delete' });
      await waitForReady(s, k('gone'));
      assert.deepEqual(await serverHas(engine, name), { database: true, role: true });
      await s.client.delete(DatabaseResource, s.namespace, k('gone'));
      await waitGone(s, k('gone'));
      assert.deepEqual(await serverHas(engine, name), { database: false, role: false });
    });

    test('deletionPolicy Retain keeps both; a Database of the same name takes them back with a new password', async (t) => {
      const s = await setup(t);
      if (!s) return;
      const name = uniqueName('kept');
      await createDatabase(s, k('kept'), { engine, databaseName: name });
      await waitForReady(s, k('kept'));
      const first = await appDsn(s, k('kept'));
      await createTable(engine, first);
      await s.client.delete(DatabaseResource, s.namespace, k('kept'));
      await waitGone(s, k('kept'));
      assert.deepEqual(await serverHas(engine, name), { database: true, role: true }, 'both are still there');
      // The Secret went with its owner (garbage collector); the data stayed on the server.
      await createDatabase(s, k('kept'), { engine, databaseName: name, deletionPolicy: 'Delete' });
      await waitForReady(s, k('kept'));
      const second = await eventually(
        async () => {
          const dsn = await appDsn(s, k('kept')).catch(() => undefined);
          return dsn && dsn !== first ? dsn : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 50, message: 'a new Secret' },
      );
      assert.deepEqual(await asUser(engine, second, 'SELECT body FROM notes'), [{ body: 'hello' }], 'the retained data is back');
      await s.client.delete(DatabaseResource, s.namespace, k('kept'));
      await waitGone(s, k('kept'));
      assert.deepEqual(await serverHas(engine, name), { database: false, role: false });
    });
  });
}
