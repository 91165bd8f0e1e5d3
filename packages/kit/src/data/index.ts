/** The data layer: one DSN, three dialects, migrations, error classification, idempotency keys. */
export { parseDsn, redactDsn, type Dialect, type ParsedDsn } from './dsn.js';
export { createDatabase, type Database, type DatabaseOptions } from './database.js';
export type { PoolOptions, PoolStats } from './pool.js';
export { isUniqueViolation, isForeignKeyViolation, isSerializationFailure, isUnavailable } from './errors.js';
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
} from './migrator.js';
export {
  timestampType,
  keyTextType,
  longTextType,
  booleanType,
  toDate,
  toDateOrNull,
  fromDate,
  SQLITE_TIMESTAMP_TYPE,
} from './schema.js';
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
} from './idempotency.js';
