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
import { SQLITE_TIMESTAMP_TYPE, toDate } from './schema.ts';

export interface SqliteOpenOptions {
  filename: string;
  busyTimeoutMs: number;
}

/** Opens the file (creating its directory) with the pragmas every service wants. */
export function openSqlite({ filename, busyTimeoutMs }: SqliteOpenOptions): BetterSqlite3.Database {
  if (filename !== ':memory:') fs.mkdirSync(path.dirname(filename), { recursive: true });
  const raw = loadingAddon(() => new BetterSqlite3(filename, { timeout: busyTimeoutMs }));
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

/** The Node-API version better-sqlite3's addon is built for; an older Node crashes loading it. */
const SQLITE_ADDON_NAPI = 10;

/**
 * Why better-sqlite3's native addon cannot load in a Node with these versions,
 * or undefined when it can. Checked before the first load: on a Node whose
 * Node-API is too old the addon does not fail, it crashes the process.
 */
export function sqliteAddonMismatch(versions: { node: string; napi?: string | undefined }): string | undefined {
  const napi = Number(versions.napi ?? 0);
  if (napi >= SQLITE_ADDON_NAPI) return undefined;
  return `SQLite (better-sqlite3) needs Node-API ${SQLITE_ADDON_NAPI} (Node.js 24, as pinned by Flotilla); this process runs Node.js v${versions.node} with Node-API ${napi}: start it with the pinned Node (npm start, or node_modules/.bin/node)`;
}

/**
 * better-sqlite3 loads its native addon on first use. One built for another
 * Node (a copied node_modules) fails there with ERR_DLOPEN_FAILED; say which
 * Node runs and how to fix it.
 */
function loadingAddon<T>(open: () => T): T {
  const mismatch = sqliteAddonMismatch(process.versions);
  if (mismatch !== undefined) throw new Error(mismatch);
  try {
    return open();
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ERR_DLOPEN_FAILED') throw error;
    throw new Error(
      `better-sqlite3's native addon does not load in Node.js ${process.version} (ABI ${process.versions.modules}, ${process.execPath}); ` +
        'run `npm install` (or `npm rebuild better-sqlite3`) with the Node that runs Flotilla',
      { cause: error },
    );
  }
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

/**
 * SQLite has one connection, so callers take turns on it. The turn-taking is
 * here rather than in Kysely (the adapter says the driver handles several
 * callers) so that the queue can be counted: Kysely's own mutex is internal.
 */
class CountingSqliteDriver extends SqliteDriver {
  readonly #usage: SqliteUsage;
  readonly #queue: Array<() => void> = [];
  #busy = false;

  constructor(config: SqliteDialectConfig, usage: SqliteUsage) {
    super(config);
    this.#usage = usage;
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    if (this.#busy) {
      this.#usage.waiting++;
      // releaseConnection hands the connection straight over: #busy stays true.
      await new Promise<void>((resolve) => this.#queue.push(resolve));
      this.#usage.waiting--;
    }
    this.#busy = true;
    this.#usage.inUse = 1;
    return super.acquireConnection();
  }

  override async releaseConnection(): Promise<void> {
    await super.releaseConnection();
    const next = this.#queue.shift();
    if (next !== undefined) {
      next();
      return;
    }
    this.#busy = false;
    this.#usage.inUse = 0;
  }

  override async destroy(): Promise<void> {
    this.#usage.open = false;
    await super.destroy();
  }
}

class LockingSqliteAdapter extends SqliteAdapter {
  /** CountingSqliteDriver queues callers itself; without this Kysely would add a second, uncounted queue in front. */
  override get supportsMultipleConnections(): boolean {
    return true;
  }

  // Kysely runs all pending migrations on one connection between these two calls.
  // biome-ignore lint/suspicious/noExplicitAny: matches Kysely's DialectAdapter signature
  override async acquireMigrationLock(db: Kysely<any>): Promise<void> {
    await sql`begin immediate`.execute(db);
  }

  // biome-ignore lint/suspicious/noExplicitAny: matches Kysely's DialectAdapter signature
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
