/**
 * Numbered, dialect-neutral migrations supplied as an array (no directory
 * scanning, so single-file bundles work), run through Kysely's Migrator.
 *
 * Concurrency: Kysely takes a lock before it reads the applied list — an
 * advisory lock on PostgreSQL, GET_LOCK on MySQL, BEGIN IMMEDIATE on SQLite
 * (see sqlite.ts) — so replicas starting together apply each migration once.
 */
import { sql, type Kysely } from 'kysely';
import { Migrator, type Migration as KyselyMigration } from 'kysely/migration';
import { FlotillaError } from '@flotilla/core';
import type { Database } from './database.ts';
import type { Dialect } from './dsn.ts';

export interface Migration {
  /** Sortable and unique, e.g. '0001_create_users'. Migrations run in name order. */
  name: string;
  /** Must not open its own transaction: the migrator already runs it in one where the dialect allows. */
  // biome-ignore lint/suspicious/noExplicitAny: a migration runs over a schema it is itself creating
  up(db: Kysely<any>, dialect: Dialect): Promise<void>;
  // biome-ignore lint/suspicious/noExplicitAny: a migration runs over a schema it is itself creating
  down?(db: Kysely<any>, dialect: Dialect): Promise<void>;
}

export interface MigrationState {
  name: string;
  /** When it was applied, or null when pending. */
  appliedAt: Date | null;
}

export interface MigrationStatus {
  /** Every known migration in name order. */
  migrations: MigrationState[];
  pending: string[];
  /** Applied in the database but absent from the code: a newer version ran here. */
  unknown: string[];
}

export type MigrationErrorReason = 'invalid-list' | 'unknown-applied' | 'failed';

export class MigrationError extends FlotillaError {
  readonly reason: MigrationErrorReason;
  constructor(reason: MigrationErrorReason, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super('internal', message, options);
    this.reason = reason;
  }
}

export const MIGRATION_TABLE = 'flotilla_migration';
export const MIGRATION_LOCK_TABLE = 'flotilla_migration_lock';

/** Applies every pending migration and returns the names it applied, in order. */
// biome-ignore lint/suspicious/noExplicitAny: accepts a database of any schema
export async function migrate(database: Database<any>, migrations: readonly Migration[]): Promise<{ applied: string[] }> {
  validate(migrations);
  // Checked up front for a clear message; Kysely repeats the check under its lock.
  await refuseUnknown(database, migrations);
  const migrator = createMigrator(database, migrations);
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const missing = /previously executed migration (\S+) is missing/.exec(String((error as Error)?.message))?.[1];
    if (missing !== undefined) throw unknownAppliedError([missing], error);
    const failed = results.find((result) => result.status === 'Error')?.migrationName;
    const what = failed === undefined ? 'Migrating the database failed' : `Migration ${failed} failed`;
    throw new MigrationError('failed', `${what}: ${(error as Error)?.message ?? String(error)}`, {
      cause: error,
      details: { failed, applied: successes(results) },
    });
  }
  return { applied: successes(results) };
}

/** What is applied, what is pending, and what the database knows that the code does not. */
// biome-ignore lint/suspicious/noExplicitAny: accepts a database of any schema
export async function migrationStatus(database: Database<any>, migrations: readonly Migration[]): Promise<MigrationStatus> {
  validate(migrations);
  const applied = await readApplied(database);
  const known = new Set(migrations.map((migration) => migration.name));
  const states = [...migrations]
    .sort((a, b) => compareNames(a.name, b.name))
    .map((migration) => {
      const timestamp = applied.get(migration.name);
      return { name: migration.name, appliedAt: timestamp === undefined ? null : new Date(timestamp) };
    });
  return {
    migrations: states,
    pending: states.filter((state) => state.appliedAt === null).map((state) => state.name),
    unknown: [...applied.keys()].filter((name) => !known.has(name)).sort(compareNames),
  };
}

// biome-ignore lint/suspicious/noExplicitAny: accepts a database of any schema
function createMigrator(database: Database<any>, migrations: readonly Migration[]): Migrator {
  const provided: Record<string, KyselyMigration> = {};
  for (const migration of migrations) provided[migration.name] = adapt(migration, database.dialect);
  return new Migrator({
    db: database.db,
    provider: { getMigrations: async () => provided },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
    // The kit's own migrations (e.g. idempotency) may join a service's list later.
    allowUnorderedMigrations: true,
    nameComparator: compareNames,
  });
}

function adapt(migration: Migration, dialect: Dialect): KyselyMigration {
  const down = migration.down;
  return {
    up: (db) => atomicOnSqlite(db, dialect, () => migration.up(db, dialect)),
    ...(down === undefined ? {} : { down: (db) => atomicOnSqlite(db, dialect, () => down(db, dialect)) }),
  };
}

/**
 * On SQLite all pending migrations share one BEGIN IMMEDIATE transaction (the
 * lock); a savepoint per migration undoes a failed one while keeping the ones
 * before it. PostgreSQL runs them in a transaction already; MySQL DDL cannot be.
 */
async function atomicOnSqlite(db: Kysely<unknown>, dialect: Dialect, run: () => Promise<void>): Promise<void> {
  if (dialect !== 'sqlite') return run();
  await sql`savepoint flotilla_migration`.execute(db);
  try {
    await run();
  } catch (error) {
    await sql`rollback to flotilla_migration`.execute(db);
    throw error;
  } finally {
    await sql`release flotilla_migration`.execute(db);
  }
}

// biome-ignore lint/suspicious/noExplicitAny: accepts a database of any schema
async function refuseUnknown(database: Database<any>, migrations: readonly Migration[]): Promise<void> {
  const known = new Set(migrations.map((migration) => migration.name));
  const unknown = [...(await readApplied(database)).keys()].filter((name) => !known.has(name)).sort(compareNames);
  if (unknown.length > 0) throw unknownAppliedError(unknown);
}

function unknownAppliedError(unknown: string[], cause?: unknown): MigrationError {
  return new MigrationError(
    'unknown-applied',
    `The database has migration(s) this version does not know: ${unknown.join(', ')}. ` +
      'A newer version of the service has migrated it; refusing to run against a schema it does not understand.',
    { details: { unknown }, ...(cause === undefined ? {} : { cause }) },
  );
}

/** name → ISO timestamp of every applied migration (empty before the first migrate). */
// biome-ignore lint/suspicious/noExplicitAny: reads Kysely's own table, which no service schema declares
async function readApplied(database: Database<any>): Promise<Map<string, string>> {
  const tables = await database.db.introspection.getTables({ withInternalKyselyTables: true });
  if (!tables.some((table) => table.name === MIGRATION_TABLE)) return new Map();
  const rows = (await database.db.selectFrom(MIGRATION_TABLE).select(['name', 'timestamp']).execute()) as Array<{
    name: string;
    timestamp: string;
  }>;
  return new Map(rows.map((row) => [row.name, row.timestamp]));
}

function validate(migrations: readonly Migration[]): void {
  const seen = new Set<string>();
  for (const migration of migrations) {
    if (typeof migration.name !== 'string' || !/^[A-Za-z0-9_.-]{1,200}$/.test(migration.name)) {
      throw new MigrationError(
        'invalid-list',
        `Invalid migration name ${JSON.stringify(migration.name)}: use letters, digits, '_', '.', '-'`,
      );
    }
    if (seen.has(migration.name)) throw new MigrationError('invalid-list', `Duplicate migration name ${migration.name}`);
    seen.add(migration.name);
  }
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function successes(results: ReadonlyArray<{ migrationName: string; status: string }>): string[] {
  return results.filter((result) => result.status === 'Success').map((result) => result.migrationName);
}
