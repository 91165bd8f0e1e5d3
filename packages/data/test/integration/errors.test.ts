import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { UnavailableError } from '@flotilla/kit';
import {
  createDatabase,
  isForeignKeyViolation,
  isSerializationFailure,
  isUnavailable,
  isUniqueViolation,
  type Database,
} from '@flotilla/data';
import { testDialects } from '@flotilla/testing';
import { openFresh, type OpenedDatabase } from './fresh-database.ts';

interface Tables {
  account: { id: number; balance: number };
}

/** A connection held open until `release()`, so two sessions can interleave statements. */
interface Session {
  run<T>(query: RawBuilder<T>): Promise<T[]>;
  release(): Promise<void>;
}

function session<DB>(db: Kysely<DB>): Promise<Session> {
  return new Promise((ready, failed) => {
    let release!: () => void;
    const done = db
      .connection()
      .execute(async (connection) => {
        ready({
          run: async (query) => (await query.execute(connection)).rows,
          release: async () => {
            release();
            return done;
          },
        });
        await new Promise<void>((resolve) => (release = resolve));
      })
      .catch(failed);
  });
}

for (const dialect of testDialects()) {
  describe(`error classification on ${dialect}`, () => {
    let opened: OpenedDatabase<Tables>;
    let database: Database<Tables>;
    before(async () => {
      opened = await openFresh<Tables>(dialect, { sqlite: { busyTimeoutMs: 0 } });
      database = opened.database;
      await database.db.schema
        .createTable('account')
        .addColumn('id', 'integer', (col) => col.primaryKey())
        .addColumn('balance', 'integer')
        .execute();
      await database.db
        .insertInto('account')
        .values([
          { id: 1, balance: 10 },
          { id: 2, balance: 10 },
        ])
        .execute();
    });
    after(async () => opened?.cleanup());

    it('recognises a lost concurrency race as a serialization failure', async () => {
      if (dialect === 'sqlite') {
        // Another connection holds the write lock; with busy_timeout 0 the writer gets SQLITE_BUSY.
        const other = createDatabase({ dsn: opened.testDatabase.dsn });
        const holder = await session(other.db);
        try {
          await holder.run(sql`begin immediate`);
          await assert.rejects(
            database.db.updateTable('account').set({ balance: 0 }).execute(),
            (error) => isSerializationFailure(error) && !isUnavailable(error),
          );
          await holder.run(sql`rollback`);
        } finally {
          await holder.release();
          await other.close();
        }
        return;
      }
      const a = await session(database.db);
      const b = await session(database.db);
      try {
        if (dialect === 'postgres') {
          // Write skew under SERIALIZABLE: the second commit must fail with 40001.
          await a.run(sql`begin isolation level serializable`);
          await b.run(sql`begin isolation level serializable`);
          await a.run(sql`select sum(balance) from account`);
          await b.run(sql`select sum(balance) from account`);
          await a.run(sql`update account set balance = balance - 5 where id = 1`);
          await b.run(sql`update account set balance = balance - 5 where id = 2`);
          await a.run(sql`commit`);
          await assert.rejects(b.run(sql`commit`), (error) => isSerializationFailure(error) && !isUniqueViolation(error));
        } else {
          // Opposite lock order: InnoDB detects the deadlock and fails one side with 1213.
          await a.run(sql`start transaction`);
          await b.run(sql`start transaction`);
          await a.run(sql`update account set balance = 1 where id = 1`);
          await b.run(sql`update account set balance = 2 where id = 2`);
          const blocked = a.run(sql`update account set balance = 1 where id = 2`);
          const outcomes = await Promise.allSettled([blocked, b.run(sql`update account set balance = 2 where id = 1`)]);
          const failures = outcomes.filter((outcome) => outcome.status === 'rejected');
          assert.equal(failures.length, 1);
          assert.ok(isSerializationFailure((failures[0] as PromiseRejectedResult).reason));
          await a.run(sql`rollback`);
          await b.run(sql`rollback`);
        }
      } finally {
        await a.release();
        await b.release();
      }
    });

    it('does not mistake ordinary SQL errors for any class', async () => {
      await assert.rejects(sql`select * from no_such_table`.execute(database.db), (error) => {
        return !isUniqueViolation(error) && !isForeignKeyViolation(error) && !isSerializationFailure(error) && !isUnavailable(error);
      });
    });
  });
}

describe('classification walks wrappers', () => {
  it('finds the driver error in a cause chain and in AggregateErrors', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    assert.ok(isUnavailable(new AggregateError([refused], '')));
    assert.ok(isUnavailable(new Error('store failed', { cause: refused })));
    assert.ok(isUnavailable(new UnavailableError('down')));
    const duplicate = Object.assign(new Error('duplicate key'), { code: '23505' });
    assert.ok(isUniqueViolation(new Error('wrapped', { cause: duplicate })));
    assert.ok(!isUniqueViolation(new Error('plain')));
    assert.ok(!isUnavailable(null) && !isUnavailable('ECONNREFUSED'));
  });
});
