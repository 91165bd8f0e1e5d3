import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ValidationError } from '@flotilla/kit';
import { IdempotencyStore, idempotencyMigration, migrate, type Database, type Migration } from '@flotilla/data';
import { testDialects } from '@flotilla/testing';
import { openFresh, type OpenedDatabase } from './fresh-database.ts';

interface Tables {
  note: { id: string; text: string };
}

const createNotes: Migration = {
  name: '0001_create_notes',
  async up(db) {
    await db.schema
      .createTable('note')
      .addColumn('id', 'varchar(64)', (col) => col.primaryKey())
      .addColumn('text', 'varchar(200)')
      .execute();
  },
};

const created = {
  statusCode: 201,
  headers: { location: '/notes/1', 'content-type': 'application/json' },
  body: '{"id":"1","text":"héllo ✓"}',
};
const HOUR = 3_600_000;

let counter = 0;
const freshKey = (): string => `key-${process.pid}-${++counter}`;

for (const dialect of testDialects()) {
  describe(`idempotency store on ${dialect}`, () => {
    let opened: OpenedDatabase<Tables>;
    let database: Database<Tables>;
    let store: IdempotencyStore;

    before(async () => {
      opened = await openFresh<Tables>(dialect);
      database = opened.database;
      await migrate(database, [idempotencyMigration, createNotes]);
      store = new IdempotencyStore(database);
    });
    after(async () => opened?.cleanup());

    it('new → complete → replay of the stored response', async () => {
      const key = freshKey();
      assert.deepEqual(await store.begin('notes:create', key, 'hash-a', HOUR), { state: 'new' });
      assert.deepEqual(await store.begin('notes:create', key, 'hash-a', HOUR), { state: 'in-progress' });
      assert.equal(await store.complete('notes:create', key, created), true);
      assert.deepEqual(await store.begin('notes:create', key, 'hash-a', HOUR), { state: 'replay', response: created });
    });

    it('the same key with a different request is a mismatch; other scopes are independent', async () => {
      const key = freshKey();
      await store.begin('notes:create', key, 'hash-a', HOUR);
      assert.deepEqual(await store.begin('notes:create', key, 'hash-b', HOUR), { state: 'mismatch' });
      await store.complete('notes:create', key, created);
      assert.deepEqual(await store.begin('notes:create', key, 'hash-b', HOUR), { state: 'mismatch' });
      assert.deepEqual(await store.begin('orders:create', key, 'hash-b', HOUR), { state: 'new' });
    });

    it('keys are case-sensitive', async () => {
      const key = freshKey();
      assert.deepEqual(await store.begin('s', `${key}-abc`, 'h', HOUR), { state: 'new' });
      assert.deepEqual(await store.begin('s', `${key}-ABC`, 'h', HOUR), { state: 'new' });
    });

    it('concurrent identical requests: exactly one is new', async () => {
      const key = freshKey();
      const results = await Promise.all(Array.from({ length: 8 }, () => store.begin('notes:create', key, 'hash-a', HOUR)));
      assert.equal(results.filter((result) => result.state === 'new').length, 1);
      assert.ok(results.every((result) => result.state === 'new' || result.state === 'in-progress'));
    });

    it('abandon lets a retry proceed', async () => {
      const key = freshKey();
      await store.begin('notes:create', key, 'hash-a', HOUR);
      await store.abandon('notes:create', key);
      assert.deepEqual(await store.begin('notes:create', key, 'hash-a', HOUR), { state: 'new' });
      // A completed entry is not abandoned by mistake.
      await store.complete('notes:create', key, created);
      await store.abandon('notes:create', key);
      assert.equal((await store.begin('notes:create', key, 'hash-a', HOUR)).state, 'replay');
    });

    it('expired keys behave as new and are replaced; purgeExpired removes them', async () => {
      let now = new Date('2000-01-01T00:00:00.000Z'); // before every other entry's expiry, so purge counts only ours
      const clocked = new IdempotencyStore(database, { now: () => now });
      const key = freshKey();
      assert.deepEqual(await clocked.begin('exp', key, 'hash-a', 1_000), { state: 'new' });
      await clocked.complete('exp', key, created);
      now = new Date(now.getTime() + 999);
      assert.equal((await clocked.begin('exp', key, 'hash-a', 1_000)).state, 'replay');
      now = new Date(now.getTime() + 1);
      assert.deepEqual(await clocked.begin('exp', key, 'hash-b', 1_000), { state: 'new' });
      assert.deepEqual(await clocked.begin('exp', key, 'hash-b', 1_000), { state: 'in-progress' });

      const other = freshKey();
      await clocked.begin('exp', other, 'h', 500);
      assert.equal(await clocked.purgeExpired(new Date(now.getTime() + 600)), 1);
      assert.equal(await clocked.purgeExpired(new Date(now.getTime() + 600)), 0);
      assert.deepEqual(await clocked.begin('exp', other, 'h', 500), { state: 'new' });
    });

    it('a claim pending past pendingTimeoutMs is taken over', async () => {
      let now = new Date('2031-01-01T00:00:00.000Z');
      const clocked = new IdempotencyStore(database, { now: () => now, pendingTimeoutMs: 30_000 });
      const key = freshKey();
      await clocked.begin('stale', key, 'h', HOUR);
      now = new Date(now.getTime() + 29_999);
      assert.deepEqual(await clocked.begin('stale', key, 'h', HOUR), { state: 'in-progress' });
      now = new Date(now.getTime() + 1);
      assert.deepEqual(await clocked.begin('stale', key, 'h', HOUR), { state: 'new' });
    });

    it('the create and complete commit together in one transaction', async () => {
      const key = freshKey();
      assert.equal((await store.begin('notes:create', key, 'h', HOUR)).state, 'new');
      await database.transaction(async (trx) => {
        await trx.insertInto('note').values({ id: key, text: 'kept' }).execute();
        assert.equal(await store.complete('notes:create', key, { ...created, body: key }, trx), true);
      });
      assert.deepEqual(await store.begin('notes:create', key, 'h', HOUR), {
        state: 'replay',
        response: { ...created, body: key },
      });
      assert.equal((await database.db.selectFrom('note').select('text').where('id', '=', key).executeTakeFirst())?.text, 'kept');
    });

    it('a rolled-back create leaves the claim pending, and abandon frees it', async () => {
      const key = freshKey();
      await store.begin('notes:create', key, 'h', HOUR);
      await assert.rejects(
        database.transaction(async (trx) => {
          await trx.insertInto('note').values({ id: key, text: 'lost' }).execute();
          await store.complete('notes:create', key, created, trx);
          throw new Error('domain rule failed');
        }),
        /domain rule failed/,
      );
      assert.equal(await database.db.selectFrom('note').select('id').where('id', '=', key).executeTakeFirst(), undefined);
      assert.deepEqual(await store.begin('notes:create', key, 'h', HOUR), { state: 'in-progress' });
      await store.abandon('notes:create', key);
      assert.deepEqual(await store.begin('notes:create', key, 'h', HOUR), { state: 'new' });
    });

    it('begin inside a transaction on an existing key leaves the transaction usable', async () => {
      const key = freshKey();
      await store.begin('notes:create', key, 'h', HOUR);
      await store.complete('notes:create', key, created);
      const outcome = await database.transaction(async (trx) => {
        const result = await store.begin('notes:create', key, 'h', HOUR, trx);
        await trx
          .insertInto('note')
          .values({ id: `${key}-after`, text: 'ok' })
          .execute();
        return result.state;
      });
      assert.equal(outcome, 'replay');
      assert.ok(await database.db.selectFrom('note').select('id').where('id', '=', `${key}-after`).executeTakeFirst());
    });

    it('complete reports false when there is no pending claim', async () => {
      assert.equal(await store.complete('notes:create', freshKey(), created), false);
    });

    it('rejects keys longer than the column holds instead of truncating them', async () => {
      await assert.rejects(store.begin('notes:create', 'k'.repeat(192), 'h', HOUR), (error) => error instanceof ValidationError);
      await assert.rejects(store.begin('notes:create', '', 'h', HOUR), (error) => error instanceof ValidationError);
      assert.deepEqual(await store.begin('notes:create', 'k'.repeat(191), 'h', HOUR), { state: 'new' });
    });
  });
}
