/** PostgreSQL through a pg Pool, configured for the kit's value conventions. */
import { createRequire } from 'node:module';
import type pg from 'pg';
import { PostgresDialect } from 'kysely';
import type { PoolStats, ResolvedPoolOptions } from './pool.ts';

const INT8_OID = 20;

/**
 * int8 (BIGINT, COUNT(*)) as a JS number like SQLite and mysql2 return it;
 * values beyond 2^53 stay strings rather than silently losing precision.
 */
function parseInt8(text: string): number | string {
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : text;
}

// Loaded on first use so that a SQLite service never pays for the pg driver at start.
const requireDriver = createRequire(import.meta.url);

function typesFor(driver: typeof pg): pg.CustomTypesConfig {
  return {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      oid === INT8_OID && format !== 'binary'
        ? parseInt8
        : driver.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
  };
}

export interface PostgresParts {
  dialect: PostgresDialect;
  stats(): PoolStats;
}

export function createPostgres(connectionString: string, pool: ResolvedPoolOptions): PostgresParts {
  const driver = requireDriver('pg') as typeof pg;
  const types = typesFor(driver);
  const pgPool = new driver.Pool({
    connectionString,
    max: pool.max,
    min: pool.min,
    idleTimeoutMillis: pool.idleTimeoutMs,
    connectionTimeoutMillis: pool.acquireTimeoutMs,
    types,
  });
  // A connection that dies while idle (server restart, failover) emits 'error' on
  // the pool, and one that dies while checked out emits it on the client. With no
  // listener Node would crash the process; the broken client is discarded by the
  // pool either way and the next query opens a fresh one.
  pgPool.on('error', () => undefined);
  pgPool.on('connect', (client) => client.on('error', () => undefined));
  return {
    dialect: new PostgresDialect({ pool: pgPool }),
    stats: () => ({ total: pgPool.totalCount, idle: pgPool.idleCount, waiting: pgPool.waitingCount }),
  };
}
