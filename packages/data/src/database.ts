/**
 * createDatabase(): one DSN in, a Kysely instance plus the lifecycle a service
 * needs (ping for readiness, pool stats for metrics, close on shutdown).
 */
import { Kysely, sql, type LogConfig, type Transaction } from 'kysely';
import { UnavailableError } from '@flotilla/core';
import { parseDsn, redactDsn, type Dialect } from './dsn.ts';
import { createMysql } from './mysql.ts';
import { resolvePoolOptions, type PoolOptions, type PoolStats } from './pool.ts';
import { createPostgres } from './postgres.ts';
import { FlotillaSqliteDialect, openSqlite } from './sqlite.ts';

export interface DatabaseOptions {
  /** sqlite:<path> | sqlite::memory: | postgres://… | postgresql://… | mysql://… | mariadb://… */
  dsn: string;
  /** PostgreSQL and MySQL only; SQLite has one connection. */
  pool?: PoolOptions;
  sqlite?: {
    /** How long a writer waits for another process's lock before SQLITE_BUSY. Default 5 000. */
    busyTimeoutMs?: number;
  };
  /** Kysely's query log hook (every query with its duration); the kit's telemetry records metrics and spans with it. */
  log?: LogConfig;
}

export interface Database<DB> {
  readonly dialect: Dialect;
  /** The DSN with its password masked, for logs. */
  readonly redactedDsn: string;
  readonly db: Kysely<DB>;
  /** One real round trip; throws UnavailableError (message redacted) when the database cannot answer. */
  ping(): Promise<void>;
  /** Runs `fn` in a transaction: commits when it resolves, rolls back and rethrows when it throws. */
  transaction<T>(fn: (trx: Transaction<DB>) => Promise<T>): Promise<T>;
  poolStats(): PoolStats;
  /** Closes every connection. Safe to call twice. */
  close(): Promise<void>;
}

const DEFAULT_BUSY_TIMEOUT_MS = 5_000;

export function createDatabase<DB>(options: DatabaseOptions): Database<DB> {
  const parsed = parseDsn(options.dsn);
  const redactedDsn = redactDsn(options.dsn);
  const pool = resolvePoolOptions(options.pool);
  const log = options.log === undefined ? {} : { log: options.log };
  let db: Kysely<DB>;
  let stats: () => PoolStats;

  switch (parsed.dialect) {
    case 'sqlite': {
      let raw: ReturnType<typeof openSqlite>;
      try {
        raw = openSqlite({
          filename: parsed.filename,
          busyTimeoutMs: options.sqlite?.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS,
        });
      } catch (error) {
        throw new UnavailableError(`Database ${redactedDsn} cannot be opened: ${describe(error)}`, { cause: error });
      }
      const dialect = new FlotillaSqliteDialect(raw);
      db = new Kysely<DB>({ dialect, ...log });
      stats = () => {
        const { open, inUse, waiting } = dialect.usage;
        return open ? { total: 1, idle: 1 - inUse, waiting } : { total: 0, idle: 0, waiting: 0 };
      };
      break;
    }
    case 'postgres': {
      const parts = createPostgres(parsed.connectionString, pool);
      db = new Kysely<DB>({ dialect: parts.dialect, ...log });
      stats = parts.stats;
      break;
    }
    case 'mysql': {
      const { dialect: _dialect, ...target } = parsed;
      const parts = createMysql(target, pool);
      db = new Kysely<DB>({ dialect: parts.dialect, ...log });
      stats = parts.stats;
      break;
    }
  }

  let closing: Promise<void> | undefined;
  return {
    dialect: parsed.dialect,
    redactedDsn,
    db,
    async ping() {
      try {
        await sql`select 1`.execute(db);
      } catch (error) {
        throw new UnavailableError(`Database ${redactedDsn} is unavailable: ${describe(error)}`, { cause: error });
      }
    },
    transaction(fn) {
      return db.transaction().execute(fn);
    },
    poolStats: () => stats(),
    close() {
      closing ??= db.destroy();
      return closing;
    },
  };
}

/** A one-line reason; AggregateErrors (IPv4 + IPv6 attempts) have an empty message. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const message = error.message || (error instanceof AggregateError ? error.errors.map(describe).join('; ') : '');
  const text = typeof code === 'string' && !message.includes(code) ? `${code} ${message}`.trim() : message;
  return text || error.name;
}
