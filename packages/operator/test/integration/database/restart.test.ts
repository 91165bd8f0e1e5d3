// The operator stopped in the middle of a reconcile, or after leaving the server half done:
// the next operator process finishes the job.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { eventually } from '@flotilla/testing';
import { DatabaseResource } from '../../../src/database/crd.ts';
import type { Engine } from '../../../src/database/types.ts';
import {
  adminUrlOf,
  appDsn,
  asAdmin,
  asUser,
  createDatabase,
  ENGINES,
  getDatabase,
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
  suite = await startSuite(t, 'db-restart');
  if (suite) for (const engine of ENGINES) await putAdminSecret(suite, engine);
  return suite;
}

/** Holds the operator's per-name lock from a connection of the test's own, until release(). */
async function holdLock(engine: Engine, name: string): Promise<{ waiters(): Promise<number>; release(): Promise<void> }> {
  const lockName = `flotilla.dev/database:${name}`;
  if (engine === 'postgresql') {
    const client = new pg.Client({ connectionString: adminUrlOf(engine) });
    await client.connect();
    await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [lockName]);
    return {
      async waiters() {
        const { rows } = await client.query(
          "SELECT count(*)::int AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND NOT l.granted AND a.application_name = 'flotilla-operator'",
        );
        return (rows[0] as { n: number }).n;
      },
      release: () => client.end(),
    };
  }
  const connection = await mysql.createConnection(adminUrlOf(engine));
  await connection.query('SELECT GET_LOCK(?, 10)', [lockName]);
  return {
    async waiters() {
      const [rows] = await connection.query(
        "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT GET_LOCK%' AND ID <> CONNECTION_ID()",
      );
      return Number((rows as { n: number }[])[0]!.n);
    },
    release: () => connection.end(),
  };
}

for (const engine of ENGINES) {
  describe(engine, () => {
    const k = (name: string) => `${engine === 'postgresql' ? 'pg' : 'my'}-${name}`;

    test('stopped while a reconcile waits on the server: nothing half made, and the next operator converges', async (t) => {
      const s = await setup(t);
      if (!s) return;
      const name = uniqueName('mid');
      const lock = await holdLock(engine, name);
      try {
        await createDatabase(s, k('mid'), { engine, databaseName: name, deletionPolicy: 'Delete' });
        // Facts, not time: the finalizer is on and the reconcile is blocked on the server.
        await eventually(async () => (await getDatabase(s, k('mid')))?.metadata.finalizers?.includes('flotilla.dev/database'), {
          timeoutMs: 30_000,
          intervalMs: 20,
          message: 'the finalizer',
        });
        await eventually(async () => (await lock.waiters()) > 0, {
          timeoutMs: 30_000,
          intervalMs: 20,
          message: 'the reconcile to wait on the lock',
        });
        await s.stopOperator();
      } finally {
        await lock.release();
      }
      assert.deepEqual(
        await serverHas(engine, name),
        { database: false, role: false },
        'the finalizer came first, the server was not touched',
      );
      await s.startOperator();
      await waitForReady(s, k('mid'));
      assert.deepEqual(await asUser(engine, await appDsn(s, k('mid')), 'SELECT 1 AS one'), [{ one: 1 }]);
      await s.client.delete(DatabaseResource, s.namespace, k('mid'));
      await waitGone(s, k('mid'));
    });

    test('a server left half done (role without database, Secret ahead of the role) is completed at start', async (t) => {
      const s = await setup(t);
      if (!s) return;
      const name = uniqueName('half');
      await createDatabase(s, k('half'), { engine, databaseName: name, deletionPolicy: 'Delete' });
      await waitForReady(s, k('half'));
      const dsn = await appDsn(s, k('half'));
      await s.stopOperator();
      // What a crash between the steps leaves: the database not made or not marked yet (it
      // comes after the role), and the role with another password than the Secret's (the
      // Secret is written before the role's password is set).
      if (engine === 'postgresql') {
        await asAdmin(engine, `DROP DATABASE "${name}" WITH (FORCE)`);
        await asAdmin(engine, `CREATE DATABASE "${name}"`);
        await asAdmin(engine, `ALTER ROLE "${name}" PASSWORD 'not-the-secret'`);
      } else {
        await asAdmin(engine, `DROP DATABASE \`${name}\``);
        await asAdmin(engine, "ALTER USER ?@'%' IDENTIFIED BY 'not-the-secret'", [name]);
      }
      await assert.rejects(asUser(engine, dsn, 'SELECT 1'));
      await s.startOperator();
      // A start reconciles every Database: the Secret's DSN works again, on a new database.
      await eventually(async () => (await asUser(engine, dsn, 'SELECT 1 AS one')).length === 1, {
        timeoutMs: 60_000,
        intervalMs: 100,
        message: "the Secret's DSN to work again",
      });
      assert.equal(await appDsn(s, k('half')), dsn, 'the Secret was kept: it is where the password lives');
      assert.deepEqual(await serverHas(engine, name), { database: true, role: true });
      if (engine === 'postgresql') {
        const [row] = await asAdmin<{ mark: string }>(
          engine,
          "SELECT shobj_description(oid, 'pg_database') AS mark FROM pg_database WHERE datname = $1",
          [name],
        );
        assert.equal(row!.mark, `flotilla.dev/database=${s.namespace}/${k('half')}`, 'the unmarked database was taken as ours and marked');
      }
      await s.client.delete(DatabaseResource, s.namespace, k('half'));
      await waitGone(s, k('half'));
    });
  });
}
