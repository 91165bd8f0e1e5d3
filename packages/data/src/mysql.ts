/** MySQL / MariaDB through a mysql2 pool, configured for the kit's value conventions. */
import { createRequire } from 'node:module';
import type mysql from 'mysql2';
import { CompiledQuery, MysqlDialect, type MysqlPool } from 'kysely';
import { UnavailableError } from '@flotilla/core';
import type { PoolStats, ResolvedPoolOptions } from './pool.ts';

export interface MysqlTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

export interface MysqlParts {
  dialect: MysqlDialect;
  stats(): PoolStats;
}

/** mysql2's pool keeps its bookkeeping in these (untyped) queues. */
interface MysqlPoolInternals {
  _allConnections?: { length: number };
  _freeConnections?: { length: number };
  _connectionQueue?: { length: number };
}

// Loaded on first use so that a SQLite service never pays for the mysql2 driver at start.
const requireDriver = createRequire(import.meta.url);

export function createMysql(target: MysqlTarget, pool: ResolvedPoolOptions): MysqlParts {
  const driver = requireDriver('mysql2') as typeof mysql;
  const mysqlPool = driver.createPool({
    ...target,
    charset: 'utf8mb4',
    connectionLimit: pool.max,
    // mysql2 closes idle connections beyond `maxIdle` after `idleTimeout`: maxIdle acts as a minimum.
    maxIdle: pool.min,
    idleTimeout: pool.idleTimeoutMs,
    connectTimeout: pool.acquireTimeoutMs,
    waitForConnections: true,
    queueLimit: 0,
    // Values in the same JS shape as pg and SQLite: Dates in UTC, BIGINT as a number
    // (a string beyond 2^53, as pg), BOOLEAN (= TINYINT(1)) as a boolean.
    timezone: 'Z',
    dateStrings: false,
    supportBigNumbers: true,
    bigNumberStrings: false,
    typeCast(field, next) {
      if (field.type === 'TINY' && field.length === 1) {
        const text = field.string();
        return text === null ? null : text !== '0';
      }
      return next();
    },
  });
  const internals = mysqlPool as unknown as MysqlPoolInternals;
  const withAcquireTimeout = acquireWithTimeout(mysqlPool, pool.acquireTimeoutMs);
  return {
    dialect: new MysqlDialect({
      pool: withAcquireTimeout,
      // NOW()/CURRENT_TIMESTAMP and TIMESTAMP columns in UTC too, whatever the server's zone.
      onCreateConnection: async (connection) => {
        await connection.executeQuery(CompiledQuery.raw("SET time_zone = '+00:00'"));
      },
    }),
    stats: () => {
      const total = internals._allConnections?.length ?? 0;
      const idle = internals._freeConnections?.length ?? 0;
      return { total, idle, waiting: internals._connectionQueue?.length ?? 0 };
    },
  };
}

/** mysql2 queues a caller forever when the pool is full; give up after `timeoutMs` like pg does. */
function acquireWithTimeout(pool: mysql.Pool, timeoutMs: number): MysqlPool {
  return {
    getConnection(callback) {
      let settled = false;
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              settled = true;
              callback(new UnavailableError(`Timed out after ${timeoutMs} ms waiting for a database connection`), undefined as never);
            }, timeoutMs)
          : undefined;
      pool.getConnection((error, connection) => {
        if (settled) {
          // The caller has gone; hand the late connection straight back.
          if (!error) connection.release();
          return;
        }
        settled = true;
        clearTimeout(timer);
        callback(error, connection);
      });
    },
    end(callback) {
      pool.end(callback);
    },
  };
}
