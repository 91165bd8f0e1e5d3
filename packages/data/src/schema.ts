/**
 * Helpers for dialect-neutral DDL and values, where the three dialects differ
 * and every service would otherwise repeat the same `if (dialect === ...)`.
 *
 * Timestamps: stored as UTC with millisecond precision on every dialect —
 * PostgreSQL `timestamptz(3)`, MySQL/MariaDB `datetime(3)` (the connection runs
 * in UTC), SQLite ISO-8601 text (`2024-05-01T12:00:00.000Z`, which sorts and
 * compares correctly as text). Write a `Date` on every dialect (the SQLite
 * connection converts it to that text); read columns back through `toDate()`,
 * which accepts what any dialect returns. Columns declared with
 * `timestampType()` already come back as `Date` on all three dialects.
 */
import { sql, type ColumnDataType, type Expression } from 'kysely';
import type { Dialect } from './dsn.ts';

/** The SQLite declared type used for timestamps: TEXT affinity, and recognised on read. */
export const SQLITE_TIMESTAMP_TYPE = 'timestamp_text';

type ColumnType = ColumnDataType | Expression<unknown>;

/** Column type for a UTC timestamp with millisecond precision. */
export function timestampType(dialect: Dialect): ColumnType {
  switch (dialect) {
    case 'postgres':
      return 'timestamptz(3)';
    case 'mysql':
      return 'datetime(3)';
    case 'sqlite':
      return sql.raw(SQLITE_TIMESTAMP_TYPE);
  }
}

/**
 * Column type for a string that is indexed, unique or part of a key. MySQL
 * cannot index TEXT without a prefix length; 191 characters of utf8mb4 keep a
 * two-column key under InnoDB's 3072-byte limit. On MySQL it also gets a binary
 * collation, so equality and uniqueness are case-sensitive as on PostgreSQL and
 * SQLite (MySQL's default collations would treat 'A' and 'a' as duplicates).
 */
export function keyTextType(dialect: Dialect, maxLength = 191): ColumnType {
  const length = Math.floor(maxLength);
  if (!(length >= 1 && length <= 16_383)) throw new RangeError(`maxLength must be 1..16383, got ${maxLength}`);
  return dialect === 'mysql' ? sql.raw(`varchar(${length}) character set utf8mb4 collate utf8mb4_bin`) : 'text';
}

/** Column type for unbounded text (MySQL's TEXT stops at 64 KiB, so it gets LONGTEXT). */
export function longTextType(dialect: Dialect): ColumnType {
  return dialect === 'mysql' ? sql.raw('longtext') : 'text';
}

/** Column type for a boolean; it reads back as a JS boolean on every dialect. */
export function booleanType(_dialect: Dialect): ColumnType {
  return 'boolean';
}

/**
 * A timestamp column value as a `Date`, whatever the dialect returned: a Date
 * (pg, mysql2), ISO-8601 text (SQLite), `YYYY-MM-DD HH:MM:SS[.fff]` text without
 * a zone (read as UTC), or epoch milliseconds.
 */
export function toDate(value: Date | string | number): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'number') return new Date(value);
  const text = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value) ? `${value.replace(' ', 'T')}Z` : value;
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new TypeError(`Not a timestamp: ${JSON.stringify(value)}`);
  return date;
}

/** `toDate` that passes null/undefined through, for nullable columns. */
export function toDateOrNull(value: Date | string | number | null | undefined): Date | null {
  return value === null || value === undefined ? null : toDate(value);
}

/**
 * A Date as the value to bind for a timestamp column on `dialect`: the Date
 * itself for pg/mysql2, ISO-8601 text for SQLite. Binding a Date directly works
 * too (the SQLite connection converts it); this is for raw SQL built by hand.
 */
export function fromDate(date: Date, dialect: Dialect): Date | string {
  if (Number.isNaN(date.getTime())) throw new TypeError('Invalid Date');
  return dialect === 'sqlite' ? date.toISOString() : date;
}
