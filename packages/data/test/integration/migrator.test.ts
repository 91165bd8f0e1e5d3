import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { idempotencyMigration, migrate, MigrationError, migrationStatus, type Migration } from '@flotilla/data';
import { testDialects } from '@flotilla/testing';
import { all, addWidgetColour, createWidgets } from './fixtures/migrations.ts';
import { openFresh, type OpenedDatabase } from './fresh-database.ts';

/** The one table the suite reads through the query builder (created by addWidgetColour). */
interface Tables {
  up_runs: { name: string };
}

const childScript = fileURLToPath(new URL('./fixtures/migrate-child.ts', import.meta.url));

/** Runs migrate in a separate Node process; resolves with its parsed result. */
function migrateInChild(dsn: string): Promise<{ applied: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=@flotilla/source', childScript, dsn], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    // 'close', not 'exit': by then all of stdout has been read.
    child.on('close', (code) => {
      if (code === 0) resolve(JSON.parse(stdout.trim()) as { applied: string[] });
      else reject(new Error(`migrate child exited ${code}: ${stderr}`));
    });
  });
}

async function tableNames<DB>(db: Kysely<DB>): Promise<string[]> {
  return (await db.introspection.getTables()).map((table) => table.name).sort();
}

for (const dialect of testDialects()) {
  describe(`migrations on ${dialect}`, () => {
    let opened: OpenedDatabase<Tables>;
    beforeEach(async () => {
      opened = await openFresh<Tables>(dialect);
    });
    afterEach(async () => opened?.cleanup());

    it('applies pending migrations once, in name order, and records them', async () => {
      const { database } = opened;
      const before = await migrationStatus(database, all);
      assert.deepEqual(before.pending, ['0001_create_widgets', '0002_add_widget_colour', '0003_slow_seed']);
      assert.deepEqual(before.unknown, []);

      // Given out of order: still applied by name.
      assert.deepEqual(await migrate(database, [all[2]!, all[0]!, all[1]!]), {
        applied: ['0001_create_widgets', '0002_add_widget_colour', '0003_slow_seed'],
      });
      assert.deepEqual(await migrate(database, all), { applied: [] });

      const after = await migrationStatus(database, all);
      assert.deepEqual(after.pending, []);
      assert.ok(after.migrations.every((state) => state.appliedAt instanceof Date && !Number.isNaN(state.appliedAt.getTime())));
      const names = await tableNames(database.db);
      assert.ok(names.includes('widget') && names.includes('flotilla_migration'), names.join(','));
      const columns = (await database.db.introspection.getTables())
        .find((table) => table.name === 'widget')
        ?.columns.map((column) => column.name);
      assert.deepEqual(columns?.sort(), ['colour', 'created_at', 'id', 'name']);
    });

    it('applies only the new migration when the list grows, including a kit migration added later', async () => {
      const { database } = opened;
      assert.deepEqual(await migrate(database, [createWidgets]), { applied: ['0001_create_widgets'] });
      assert.deepEqual(await migrate(database, [createWidgets, addWidgetColour, idempotencyMigration]), {
        applied: ['0000_flotilla_idempotency_keys', '0002_add_widget_colour'],
      });
    });

    it('two processes migrating together both succeed and apply each migration once', async () => {
      const results = await Promise.all([migrateInChild(opened.testDatabase.dsn), migrateInChild(opened.testDatabase.dsn)]);
      const applied = results.flatMap((result) => result.applied).sort();
      assert.deepEqual(applied, ['0001_create_widgets', '0002_add_widget_colour', '0003_slow_seed']);
      const runs = await opened.database.db.selectFrom('up_runs').select('name').orderBy('name').execute();
      assert.deepEqual(runs, [{ name: '0002' }, { name: '0003' }]);
    });

    it('two concurrent migrate calls in one process are safe too', async () => {
      const results = await Promise.all([migrate(opened.database, all), migrate(opened.database, all)]);
      assert.deepEqual(results.flatMap((result) => result.applied).sort(), [
        '0001_create_widgets',
        '0002_add_widget_colour',
        '0003_slow_seed',
      ]);
    });

    it('refuses to run when the database has a migration the code does not know', async () => {
      const { database } = opened;
      await migrate(database, all);
      const older = [createWidgets, addWidgetColour];
      const status = await migrationStatus(database, older);
      assert.deepEqual(status.unknown, ['0003_slow_seed']);
      await assert.rejects(migrate(database, older), (error) => {
        assert.ok(error instanceof MigrationError, String(error));
        assert.equal(error.reason, 'unknown-applied');
        assert.match(error.message, /0003_slow_seed/);
        assert.deepEqual(error.details, { unknown: ['0003_slow_seed'] });
        return true;
      });
    });

    it('reports a failing migration, keeps the ones before it, and can be fixed and rerun', async () => {
      const { database } = opened;
      const broken: Migration = {
        name: '0002_broken',
        async up(db) {
          await db.schema.createTable('half_done').addColumn('id', 'integer').execute();
          throw new Error('bad migration');
        },
      };
      await assert.rejects(migrate(database, [createWidgets, broken]), (error) => {
        assert.ok(error instanceof MigrationError);
        assert.equal(error.reason, 'failed');
        assert.match(error.message, /0002_broken.*bad migration/);
        return true;
      });
      const status = await migrationStatus(database, [createWidgets, broken]);
      // PostgreSQL runs the whole batch in one transaction; SQLite and MySQL keep the migrations before the failure.
      const keptBefore = dialect === 'postgres' ? [] : ['0001_create_widgets'];
      assert.deepEqual(status.pending, dialect === 'postgres' ? ['0001_create_widgets', '0002_broken'] : ['0002_broken']);
      if (dialect !== 'mysql') {
        // PostgreSQL and SQLite undo a failed migration's DDL; MySQL cannot.
        assert.ok(!(await tableNames(database.db)).includes('half_done'));
      }
      const rerun = await migrate(database, [createWidgets, addWidgetColour]);
      assert.deepEqual(rerun.applied, [...(keptBefore.length === 0 ? ['0001_create_widgets'] : []), '0002_add_widget_colour']);
    });

    it('rejects a list with duplicate or malformed names before touching the database', async () => {
      await assert.rejects(
        migrate(opened.database, [createWidgets, createWidgets]),
        (error) => error instanceof MigrationError && error.reason === 'invalid-list',
      );
      await assert.rejects(
        migrate(opened.database, [{ ...createWidgets, name: 'has space' }]),
        (error) => error instanceof MigrationError && error.reason === 'invalid-list',
      );
      assert.ok(!(await tableNames(opened.database.db)).includes('flotilla_migration'));
    });
  });
}
