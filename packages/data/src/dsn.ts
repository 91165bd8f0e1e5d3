/**
 * One DSN string picks the database dialect and says where it lives.
 *
 *   sqlite:<path>             file relative to the working directory (or absolute)
 *   sqlite::memory:           in-memory database (one per Database object)
 *   postgres://… postgresql://…
 *   mysql://…    mariadb://…
 */
import path from 'node:path';
import { ValidationError } from '@flotilla/core';

export type Dialect = 'sqlite' | 'postgres' | 'mysql';

export type ParsedDsn =
  | { dialect: 'sqlite' /** absolute path, or ':memory:' */; filename: string }
  | { dialect: 'postgres' /** connection string for pg, scheme normalised */; connectionString: string }
  | { dialect: 'mysql'; host: string; port: number; user: string; password: string; database: string };

const SQLITE_PREFIX = 'sqlite:';

export function parseDsn(dsn: string, cwd: string = process.cwd()): ParsedDsn {
  const trimmed = dsn.trim();
  if (trimmed.toLowerCase().startsWith(SQLITE_PREFIX)) return parseSqlite(trimmed.slice(SQLITE_PREFIX.length), dsn, cwd);
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') {
    const url = parseUrl(trimmed, dsn);
    if (url.hostname === '') throw invalidDsn(dsn, 'a postgres DSN needs a host');
    return { dialect: 'postgres', connectionString: `postgres://${trimmed.slice(scheme.length + 3)}` };
  }
  if (scheme === 'mysql' || scheme === 'mariadb') return parseMysql(trimmed, dsn);
  throw invalidDsn(dsn, 'the DSN must start with sqlite:, postgres://, postgresql://, mysql:// or mariadb://');
}

function parseSqlite(rest: string, dsn: string, cwd: string): ParsedDsn {
  // Accept the URL-ish spelling too: sqlite:///abs/path and sqlite://relative/path.
  const file = rest.startsWith('//') ? rest.slice(2) : rest;
  if (file === ':memory:') return { dialect: 'sqlite', filename: ':memory:' };
  if (file === '') throw invalidDsn(dsn, 'a sqlite DSN needs a file path, e.g. sqlite:.flotilla/app.db or sqlite::memory:');
  return { dialect: 'sqlite', filename: path.resolve(cwd, file) };
}

function parseMysql(trimmed: string, dsn: string): ParsedDsn {
  const url = parseUrl(trimmed, dsn);
  if (url.hostname === '') throw invalidDsn(dsn, 'a mysql DSN needs a host');
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (database === '' || database.includes('/')) throw invalidDsn(dsn, 'a mysql DSN needs exactly one database name in its path');
  if (url.search !== '') throw invalidDsn(dsn, 'a mysql DSN takes no query parameters');
  const port = url.port === '' ? 3306 : Number(url.port);
  return {
    dialect: 'mysql',
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database,
  };
}

function parseUrl(value: string, dsn: string): URL {
  try {
    return new URL(value);
  } catch {
    throw invalidDsn(dsn, 'the DSN is not a valid URL (percent-encode special characters in the password)');
  }
}

function invalidDsn(dsn: string, reason: string): ValidationError {
  return new ValidationError([{ field: 'dsn', rule: 'format', message: reason }], `Invalid database DSN "${redactDsn(dsn)}": ${reason}`);
}

/**
 * The DSN with any password replaced by `***`, safe for logs and error messages.
 * Works on malformed input too and never throws. Passwords often hold
 * unencoded '@', '/', '#' or '?', so the userinfo is taken to end at the last
 * '@' in the string: that over-masks a DSN with '@' after the host, but never
 * shows a password. `password=` parameters are masked as well.
 */
export function redactDsn(dsn: string): string {
  let out = dsn;
  const schemeEnd = out.indexOf('://');
  if (schemeEnd !== -1) {
    const start = schemeEnd + 3;
    const at = out.lastIndexOf('@');
    const colon = out.indexOf(':', start);
    if (at > start && colon !== -1 && colon < at) out = `${out.slice(0, colon + 1)}***${out.slice(at)}`;
  }
  return out.replace(/([?&;](?:password|pass|pwd)=)[^&#;]*/gi, '$1***');
}
