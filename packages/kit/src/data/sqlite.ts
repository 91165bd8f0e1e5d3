/**
 * SQLite through better-sqlite3, adjusted so stores see the same JS values as
 * on PostgreSQL and MySQL:
 *  - binds `Date` as ISO-8601 text and booleans as 1/0 (better-sqlite3 rejects both);
 *  - reads columns declared `boolean` as booleans and timestamp columns as `Date`;
 *  - takes the migration lock with BEGIN IMMEDIATE, so two processes migrating
 *    the same file serialise instead of racing;
 *  - counts connection use, so pool stats mean the same as on the other dialects.
 */
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import {
  SqliteAdapter,
  SqliteDialect,
  SqliteDriver,
  sql,
  type DatabaseConnection,
  type Driver,
  type Kysely,
  type SqliteDatabase,
  type SqliteDialectConfig,
  type SqliteStatement,
} from 'kysely';
import { SQLITE_TIMESTAMP_TYPE, toDate } from './schema.js';

export interface SqliteOpenOptions {
  filename: string;
  busyTimeoutMs: number;
}

/** Opens the file (creating its directory) with the pragmas every service wants. */
export function openSqlite({ filename, busyTimeoutMs }: SqliteOpenOptions): BetterSqlite3.Database {
  if (filename !== ':memory:') fs.mkdirSync(path.dirname(filename), { recursive: true });
  const raw = new BetterSqlite3(filename, { timeout: busyTimeoutMs });
  try {
    raw.pragma('journal_mode = WAL'); // in-memory databases answer 'memory'; that is fine
    raw.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    raw.pragma('foreign_keys = ON');
    raw.pragma('synchronous = NORMAL');
  } catch (error) {
    raw.close();
    throw error;
  }
  return raw;
}

export interface SqliteUsage {
  inUse: number;
  waiting: number;
  open: boolean;
}

/** A Kysely SQLite dialect over `raw`, with the adjustments described above. */
export class FlotillaSqliteDialect extends SqliteDialect {
  readonly usage: SqliteUsage = { inUse: 0, waiting: 0, open: true };
  readonly #config: SqliteDialectConfig;

  constructor(raw: BetterSqlite3.Database) {
    const config: SqliteDialectConfig = { database: new NeutralSqliteDatabase(raw) };
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new CountingSqliteDriver(this.#config, this.usage);
  }

  override createAdapter(): SqliteAdapter {
    return new LockingSqliteAdapter();
  }
}

class CountingSqliteDriver extends SqliteDriver {
  readonly #usage: SqliteUsage;

  constructor(config: SqliteDialectConfig, usage: SqliteUsage) {
    super(config);
    this.#usage = usage;
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    this.#usage.waiting++;
    try {
      const connection = await super.acquireConnection();
      this.#usage.inUse = 1;
      return connection;
    } finally {
      this.#usage.waiting--;
    }
  }

  override async releaseConnection(): Promise<void> {
    this.#usage.inUse = 0;
    await super.releaseConnection();
  }

  override async destroy(): Promise<void> {
    this.#usage.open = false;
    await super.destroy();
  }
}

class LockingSqliteAdapter extends SqliteAdapter {
  // Kysely runs all pending migrations on one connection between these two calls.
  override async acquireMigrationLock(db: Kysely<any>): Promise<void> {
    await sql`begin immediate`.execute(db);
  }

  override async releaseMigrationLock(db: Kysely<any>): Promise<void> {
    try {
      await sql`commit`.execute(db);
    } catch (error) {
      // acquire failed (e.g. busy timeout): keep that error, not this one.
      if (!/no transaction is active/i.test(String((error as Error).message))) throw error;
    }
  }
}

type Converter = (value: unknown) => unknown;

const toBoolean: Converter = (value) => (value === null || value === undefined ? value : Boolean(value));
const toTimestamp: Converter = (value) => (typeof value === 'string' || typeof value === 'number' ? toDate(value) : value);

function converterFor(declaredType: string | null): Converter | undefined {
  const type = (declaredType ?? '').toLowerCase();
  if (type === 'boolean' || type === 'bool') return toBoolean;
  if (type === SQLITE_TIMESTAMP_TYPE || /^(timestamp|timestamptz|datetime)(\(\d+\))?$/.test(type)) return toTimestamp;
  return undefined;
}

function bindable(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value;
}

/** Prepared statements kept per SQL text: preparing dominates a point lookup otherwise. */
const STATEMENT_CACHE_SIZE = 256;
const DDL = /^\s*(create|alter|drop)\b/i;

class NeutralSqliteDatabase implements SqliteDatabase {
  readonly #raw: BetterSqlite3.Database;
  readonly #statements = new Map<string, NeutralSqliteStatement>();

  constructor(raw: BetterSqlite3.Database) {
    this.#raw = raw;
  }

  close(): void {
    this.#statements.clear();
    this.#raw.close();
  }

  prepare(sqlText: string): SqliteStatement {
    const cached = this.#statements.get(sqlText);
    if (cached !== undefined) return cached;
    // A schema change can change a cached statement's result columns.
    if (DDL.test(sqlText)) this.#statements.clear();
    const statement = new NeutralSqliteStatement(this.#raw.prepare(sqlText));
    if (this.#statements.size >= STATEMENT_CACHE_SIZE) this.#statements.delete(this.#statements.keys().next().value as string);
    this.#statements.set(sqlText, statement);
    return statement;
  }
}

class NeutralSqliteStatement implements SqliteStatement {
  readonly #stmt: BetterSqlite3.Statement;

  constructor(stmt: BetterSqlite3.Statement) {
    this.#stmt = stmt;
  }

  get reader(): boolean {
    return this.#stmt.reader;
  }

  all(parameters: ReadonlyArray<unknown>): unknown[] {
    const rows = this.#stmt.all(parameters.map(bindable)) as Record<string, unknown>[];
    const convert = this.#rowConverter();
    return convert === undefined ? rows : rows.map(convert);
  }

  run(parameters: ReadonlyArray<unknown>): { changes: number | bigint; lastInsertRowid: number | bigint } {
    return this.#stmt.run(parameters.map(bindable));
  }

  *iterate(parameters: ReadonlyArray<unknown>): IterableIterator<unknown> {
    const convert = this.#rowConverter();
    for (const row of this.#stmt.iterate(parameters.map(bindable)) as IterableIterator<Record<string, unknown>>) {
      yield convert === undefined ? row : convert(row);
    }
  }

  #converter: ((row: Record<string, unknown>) => Record<string, unknown>) | undefined | null = null;

  #rowConverter(): ((row: Record<string, unknown>) => Record<string, unknown>) | undefined {
    if (this.#converter === null) this.#converter = this.#buildRowConverter();
    return this.#converter;
  }

  #buildRowConverter(): ((row: Record<string, unknown>) => Record<string, unknown>) | undefined {
    const conversions: Array<[string, Converter]> = [];
    for (const column of this.#stmt.columns()) {
      const converter = converterFor(column.type);
      if (converter !== undefined) conversions.push([column.name, converter]);
    }
    if (conversions.length === 0) return undefined;
    return (row) => {
      for (const [name, converter] of conversions) row[name] = converter(row[name]);
      return row;
    };
  }
}
