/** The data layer: one DSN, three dialects, migrations, error classification, idempotency keys. */
export { parseDsn, redactDsn, type Dialect, type ParsedDsn } from './dsn.ts';
export { createDatabase, type Database, type DatabaseOptions } from './database.ts';
export type { PoolOptions, PoolStats } from './pool.ts';
export { isUniqueViolation, isForeignKeyViolation, isSerializationFailure, isUnavailable } from './errors.ts';
export {
  migrate,
  migrationStatus,
  MigrationError,
  MIGRATION_TABLE,
  MIGRATION_LOCK_TABLE,
  type Migration,
  type MigrationErrorReason,
  type MigrationState,
  type MigrationStatus,
} from './migrator.ts';
export {
  timestampType,
  keyTextType,
  longTextType,
  booleanType,
  toDate,
  toDateOrNull,
  fromDate,
  SQLITE_TIMESTAMP_TYPE,
} from './schema.ts';
export {
  IdempotencyStore,
  idempotencyMigration,
  IDEMPOTENCY_TABLE,
  MAX_KEY_LENGTH,
  MAX_SCOPE_LENGTH,
  MAX_REQUEST_HASH_LENGTH,
  type BeginResult,
  type Executor,
  type IdempotencyStoreOptions,
  type StoredResponse,
} from './idempotency.ts';
export { openSqlite, sqliteAddonMismatch, type SqliteOpenOptions } from './sqlite.ts';
export { databaseTelemetry, type DatabaseTelemetry } from './telemetry.ts';
export { DatabaseMetrics, DB_DURATION_BUCKETS } from './metrics.ts';
export { databaseQueryLogger, describeQuery, dbSystemName, type DatabaseTelemetryOptions } from './query-telemetry.ts';
