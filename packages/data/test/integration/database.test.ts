import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { UnavailableError } from '@flotilla/kit';
import {
  booleanType,
  createDatabase,
  fromDate,
  isForeignKeyViolation,
  isUnavailable,
  isUniqueViolation,
  keyTextType,
  timestampType,
  toDate,
  type Database,
} from '@flotilla/data';
import { eventually, freePort, testDialects } from '@flotilla/testing';
import { openFresh, type OpenedDatabase } from './fresh-database.ts';

interface Tables {
  item: { id: number; name: string; active: boolean; big: number; created_at: Date };
  parent: { id: number };
  child: { id: number; parent_id: number };
  event: { id: number; at: Date | string };
}

for (const dialect of testDialects()) {
  describe(`database on ${dialect}`, () => {
    let opened: OpenedDatabase<Tables>;
    let database: Database<Tables>;

    before(async () => {
      opened = await openFresh<Tables>(dialect, { pool: { max: 2 } });
      database = opened.database;
      const db = database.db;
      await db.schema
        .createTable('item')
        .addColumn('id', 'integer', (col) => col.primaryKey())
        .addColumn('name', keyTextType(dialect), (col) => col.notNull().unique())
        .addColumn('active', booleanType(dialect), (col) => col.notNull())
        .addColumn('big', 'bigint', (col) => col.notNull())
        .addColumn('created_at', timestampType(dialect), (col) => col.notNull())
        .execute();
      await db.schema
        .createTable('parent')
        .addColumn('id', 'integer', (col) => col.primaryKey())
        .execute();
      await db.schema
        .createTable('child')
        .addColumn('id', 'integer', (col) => col.primaryKey())
        .addColumn('parent_id', 'integer', (col) => col.notNull().references('parent.id'))
        .execute();
      await db.schema
        .createTable('event')
        .addColumn('id', 'integer', (col) => col.primaryKey())
        .addColumn('at', timestampType(dialect), (col) => col.notNull())
        .execute();
    });
    after(async () => opened?.cleanup());

    it('reports its dialect and answers ping', async () => {
      assert.equal(database.dialect, dialect);
      await database.ping();
    });

    it('commits a transaction that resolves', async () => {
      const result = await database.transaction(async (trx) => {
        await trx.insertInto('parent').values({ id: 1 }).execute();
        return 'done';
      });
      assert.equal(result, 'done');
      assert.deepEqual(await database.db.selectFrom('parent').select('id').where('id', '=', 1).execute(), [{ id: 1 }]);
    });

    it('rolls back a transaction that throws, and rethrows', async () => {
      const boom = new Error('boom');
      await assert.rejects(
        database.transaction(async (trx) => {
          await trx.insertInto('parent').values({ id: 2 }).execute();
          throw boom;
        }),
        (error) => error === boom,
      );
      assert.deepEqual(await database.db.selectFrom('parent').select('id').where('id', '=', 2).execute(), []);
    });

    it('returns booleans, bigints, counts and timestamps in the same JS shape', async () => {
      const createdAt = new Date('2024-02-29T23:59:59.123Z');
      await database.db
        .insertInto('item')
        .values({ id: 1, name: 'a', active: true, big: 2 ** 40, created_at: createdAt })
        .execute();
      await database.db.insertInto('item').values({ id: 2, name: 'b', active: false, big: 7, created_at: createdAt }).execute();
      const rows = await database.db.selectFrom('item').selectAll().orderBy('id').execute();
      assert.deepEqual(rows, [
        { id: 1, name: 'a', active: true, big: 2 ** 40, created_at: createdAt },
        { id: 2, name: 'b', active: false, big: 7, created_at: createdAt },
      ]);
      const count = await database.db
        .selectFrom('item')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      assert.strictEqual(count.n, 2);
      const filtered = await database.db.selectFrom('item').select('id').where('active', '=', true).execute();
      assert.deepEqual(filtered, [{ id: 1 }]);
    });

    it('classifies a unique violation', async () => {
      await database.db.insertInto('item').values({ id: 10, name: 'dup', active: true, big: 1, created_at: new Date() }).execute();
      const duplicateKey = database.db
        .insertInto('item')
        .values({ id: 10, name: 'other', active: true, big: 1, created_at: new Date() })
        .execute();
      await assert.rejects(duplicateKey, (error) => isUniqueViolation(error) && !isForeignKeyViolation(error) && !isUnavailable(error));
      const duplicateName = database.db
        .insertInto('item')
        .values({ id: 11, name: 'dup', active: true, big: 1, created_at: new Date() })
        .execute();
      await assert.rejects(duplicateName, (error) => isUniqueViolation(error));
    });

    it('keeps key text case-sensitive', async () => {
      await database.db.insertInto('item').values({ id: 20, name: 'Case', active: true, big: 1, created_at: new Date() }).execute();
      await database.db.insertInto('item').values({ id: 21, name: 'case', active: true, big: 1, created_at: new Date() }).execute();
      const found = await database.db.selectFrom('item').select('id').where('name', '=', 'case').execute();
      assert.deepEqual(found, [{ id: 21 }]);
    });

    it('classifies a foreign key violation', async () => {
      const orphan = database.db.insertInto('child').values({ id: 1, parent_id: 999 }).execute();
      await assert.rejects(orphan, (error) => isForeignKeyViolation(error) && !isUniqueViolation(error));
    });

    it('round-trips timestamps as UTC with millisecond precision, ordered and compared correctly', async () => {
      const instants = [
        new Date('1999-12-31T23:59:59.999Z'),
        new Date('2024-06-01T00:00:00.001Z'),
        new Date('2024-06-01T00:00:00.010Z'),
        new Date('2038-01-19T03:14:08.500Z'),
      ];
      await database.db
        .insertInto('event')
        .values(instants.map((at, index) => ({ id: index + 1, at })))
        .execute();
      const rows = await database.db.selectFrom('event').select(['id', 'at']).orderBy('at', 'desc').execute();
      assert.deepEqual(
        rows.map((row) => toDate(row.at).toISOString()),
        [...instants].reverse().map((at) => at.toISOString()),
      );
      const later = await database.db.selectFrom('event').select('id').where('at', '>', instants[1]!).orderBy('id').execute();
      assert.deepEqual(later, [{ id: 3 }, { id: 4 }]);
      const raw = await sql<{ id: number }>`select id from event where at = ${fromDate(instants[2]!, dialect)}`.execute(database.db);
      assert.deepEqual(
        raw.rows.map((row) => Number(row.id)),
        [3],
      );
    });

    it('reports pool stats: in use, idle and waiting', async () => {
      const capacity = dialect === 'sqlite' ? 1 : 2;
      const gates: Array<() => void> = [];
      const hold = (): Promise<void> =>
        database.db.connection().execute(async (connection) => {
          await sql`select 1`.execute(connection);
          await new Promise<void>((resolve) => gates.push(resolve));
        });
      const holders = Array.from({ length: capacity }, hold);
      await eventually(() => gates.length === capacity, { message: 'connections to be held' });
      const queued = sql`select 1 as one`.execute(database.db);
      await eventually(() => database.poolStats().waiting === 1, { message: 'a caller to queue' });
      assert.deepEqual(database.poolStats(), { total: capacity, idle: 0, waiting: 1 });
      for (const release of gates) release();
      await Promise.all(holders);
      assert.deepEqual(
        (await queued).rows.map((row) => Number((row as { one: unknown }).one)),
        [1],
      );
      await eventually(() => database.poolStats().idle === database.poolStats().total, { message: 'connections to return' });
      assert.equal(database.poolStats().waiting, 0);
      assert.equal(database.poolStats().total, capacity);
    });
  });
}

for (const dialect of testDialects().filter((name) => name !== 'sqlite')) {
  describe(`unavailable ${dialect}`, () => {
    it('ping throws UnavailableError with the password redacted when nothing listens', async () => {
      const port = await freePort();
      const scheme = dialect === 'postgres' ? 'postgres' : 'mysql';
      const database = createDatabase({
        dsn: `${scheme}://app:hunter2@127.0.0.1:${port}/app`,
        pool: { acquireTimeoutMs: 2_000 },
      });
      try {
        await assert.rejects(database.ping(), (error) => {
          assert.ok(error instanceof UnavailableError, String(error));
          assert.equal(error.code, 'unavailable');
          assert.match(error.message, /app:\*\*\*@127\.0\.0\.1/);
          assert.ok(!error.message.includes('hunter2'));
          return isUnavailable(error);
        });
        await assert.rejects(sql`select 1`.execute(database.db), (error) => isUnavailable(error) && !isUniqueViolation(error));
      } finally {
        await database.close();
      }
    });

    it('recognises queries on a closed database as unavailable', async () => {
      const opened = await openFresh(dialect);
      await opened.database.ping();
      await opened.database.close();
      await assert.rejects(sql`select 1`.execute(opened.database.db), (error) => isUnavailable(error));
      await opened.testDatabase.drop();
    });
  });
}

describe('sqlite files', () => {
  it('creates the parent directory and enables WAL and foreign keys', async () => {
    const { mkdtempSync, rmSync, existsSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-sqlite-'));
    const database = createDatabase({
      dsn: `sqlite:${join(dir, 'nested', 'deeper', 'app.db')}`,
      sqlite: { busyTimeoutMs: 1234 },
    });
    try {
      await database.ping();
      assert.ok(existsSync(join(dir, 'nested', 'deeper', 'app.db')));
      const pragma = async (name: string): Promise<unknown> =>
        Object.values((await sql.raw(`pragma ${name}`).execute(database.db)).rows[0] as object)[0];
      assert.equal(await pragma('journal_mode'), 'wal');
      assert.equal(await pragma('foreign_keys'), 1);
      assert.equal(await pragma('busy_timeout'), 1234);
      assert.equal(await pragma('synchronous'), 1);
    } finally {
      await database.close();
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an unopenable file is UnavailableError', async () => {
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-sqlite-'));
    try {
      writeFileSync(join(dir, 'not-a-dir'), '');
      assert.throws(
        () => createDatabase({ dsn: `sqlite:${join(dir, 'not-a-dir', 'app.db')}` }),
        (error) => error instanceof UnavailableError && isUnavailable(error),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
