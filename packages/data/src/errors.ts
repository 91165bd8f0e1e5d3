/**
 * Driver-neutral classification of database errors.
 *
 * better-sqlite3, pg and mysql2 each report failures their own way (string
 * codes, SQLSTATEs, numeric errnos). Stores ask these questions instead, so the
 * same code maps a duplicate row to a 409 on every dialect. Each function walks
 * `cause` chains and AggregateErrors, so wrapped errors are recognised too.
 */
import { UnavailableError } from '@flotilla/core';

interface DriverErrorFields {
  code?: unknown;
  errno?: unknown;
  message?: unknown;
}

const SQLITE_UNIQUE = new Set(['SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CONSTRAINT_PRIMARYKEY']);
const PG_UNIQUE = '23505';
const MYSQL_UNIQUE = new Set([1062, 1586]); // ER_DUP_ENTRY, ER_DUP_ENTRY_WITH_KEY_NAME

const SQLITE_FOREIGN_KEY = 'SQLITE_CONSTRAINT_FOREIGNKEY';
const PG_FOREIGN_KEY = '23503';
// ER_ROW_IS_REFERENCED(_2), ER_NO_REFERENCED_ROW(_2)
const MYSQL_FOREIGN_KEY = new Set([1216, 1217, 1451, 1452]);

// 40001 serialization_failure, 40P01 deadlock_detected, 55P03 lock_not_available
const PG_SERIALIZATION = new Set(['40001', '40P01', '55P03']);
// ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT
const MYSQL_SERIALIZATION = new Set([1213, 1205]);

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'SQLITE_CANTOPEN',
  'SQLITE_IOERR',
  'SQLITE_FULL',
]);
// MySQL errnos: too many connections, server shutdown, lost connection, gone away, read-only.
const MYSQL_UNAVAILABLE = new Set([1040, 1053, 2002, 2003, 2006, 2013, 1290, 1836]);
// PG: class 08 connection exceptions, 57P01-57P03 shutdown/cannot connect, 53300 too many connections, 25006 read-only.
const PG_UNAVAILABLE = /^(08...|57P0[1-3]|53300|25006)$/;
const UNAVAILABLE_MESSAGES = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /cannot use a pool after calling end/i,
  /client was closed and is not queryable/i,
  /client has encountered a connection error/i,
  /pool is closed/i,
  /connection is in closed state/i,
  /can't add new command when connection is in closed state/i,
  /driver has already been destroyed/i,
  /the database connection is not open/i,
  /postgres connection has been discarded/i,
];

/** A UNIQUE or PRIMARY KEY constraint rejected the write. */
export function isUniqueViolation(error: unknown): boolean {
  return someError(error, (e) => SQLITE_UNIQUE.has(String(e.code)) || e.code === PG_UNIQUE || MYSQL_UNIQUE.has(Number(e.errno)));
}

/** A FOREIGN KEY constraint rejected the write (missing parent or referenced child). */
export function isForeignKeyViolation(error: unknown): boolean {
  return someError(error, (e) => e.code === SQLITE_FOREIGN_KEY || e.code === PG_FOREIGN_KEY || MYSQL_FOREIGN_KEY.has(Number(e.errno)));
}

/**
 * The transaction lost a concurrency race (serialization failure, deadlock, lock
 * wait timeout, SQLITE_BUSY). Retrying the whole transaction is the usual remedy.
 */
export function isSerializationFailure(error: unknown): boolean {
  return someError(
    error,
    (e) => PG_SERIALIZATION.has(String(e.code)) || MYSQL_SERIALIZATION.has(Number(e.errno)) || /^SQLITE_(BUSY|LOCKED)/.test(String(e.code)),
  );
}

/**
 * The database could not be reached or dropped the connection: refused,
 * reset, timed out, pool closed, server shutting down, too many connections.
 * Includes our own UnavailableError (e.g. from `ping()`).
 */
export function isUnavailable(error: unknown): boolean {
  return someError(error, (e) => {
    if (e instanceof UnavailableError) return true;
    const code = String(e.code ?? '');
    if (NETWORK_CODES.has(code) || PG_UNAVAILABLE.test(code)) return true;
    if (/^SQLITE_IOERR/.test(code)) return true;
    if (code.startsWith('ER_') || code === '') {
      if (MYSQL_UNAVAILABLE.has(Number(e.errno))) return true;
    }
    const message = typeof e.message === 'string' ? e.message : '';
    return UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message));
  });
}

function someError(error: unknown, test: (e: DriverErrorFields) => boolean, depth = 0): boolean {
  if (depth > 8 || error === null || typeof error !== 'object') return false;
  const e = error as DriverErrorFields & { cause?: unknown; errors?: unknown };
  if (test(e)) return true;
  if (Array.isArray(e.errors) && e.errors.some((inner) => someError(inner, test, depth + 1))) return true;
  return someError(e.cause, test, depth + 1);
}
