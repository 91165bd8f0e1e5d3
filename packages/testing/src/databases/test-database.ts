/**
 * A throw-away database per test, for suites that run once per dialect:
 *
 *   for (const dialect of testDialects()) describe(dialect, () => { ... createTestDatabase(dialect) ... })
 *
 * SQLite is a file in a temporary folder. PostgreSQL and MySQL databases are
 * created (and dropped) through the admin URLs in FLOTILLA_TEST_POSTGRES_URL
 * and FLOTILLA_TEST_MYSQL_URL, which scripts/test-services sets.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { servicesRequired } from '../servers/required.ts';
import { tempDir } from '../temp-dir.ts';

export type DialectName = 'sqlite' | 'postgres' | 'mysql';

export interface TestDatabase {
  dialect: DialectName;
  /** What the kit's `createDatabase({ dsn })` and a service's `database.dsn` take. */
  dsn: string;
  drop(): Promise<void>;
}

const ADMIN_URL_VARIABLES = {
  postgres: 'FLOTILLA_TEST_POSTGRES_URL',
  mysql: 'FLOTILLA_TEST_MYSQL_URL',
} as const;

let skipNoted = false;

/**
 * The dialects to run a suite against: SQLite always, the others when their
 * admin URL is set. Without one, `npm test` fails; a quick local run leaves
 * the dialect out with a note on stderr.
 */
export function testDialects(): DialectName[] {
  const dialects: DialectName[] = ['sqlite'];
  const skipped: string[] = [];
  for (const dialect of ['postgres', 'mysql'] as const) {
    const variable = ADMIN_URL_VARIABLES[dialect];
    if (process.env[variable]) dialects.push(dialect);
    else if (servicesRequired)
      throw new Error(`${variable} is not set but FLOTILLA_TEST_REQUIRE_SERVICES=1: start the test servers (scripts/test-services)`);
    else skipped.push(`${dialect} (${variable} not set)`);
  }
  if (skipped.length > 0 && !skipNoted) {
    skipNoted = true;
    process.stderr.write(`[test] skipping database dialects: ${skipped.join(', ')}\n`);
  }
  return dialects;
}

/** A new, empty database of `dialect` (`flotilla_test_<random>` on a server); `drop()` removes it. */
export async function createTestDatabase(dialect: DialectName): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = tempDir('test-database');
    return { dialect, dsn: `sqlite:${join(dir.path, 'test.db')}`, drop: async () => dir.remove() };
  }
  const admin = adminUrl(dialect);
  const name = `flotilla_test_${randomBytes(6).toString('hex')}`;
  const dsn = withDatabase(admin, name);
  if (dialect === 'postgres') {
    await onPostgres(admin, `CREATE DATABASE ${name}`);
    return { dialect, dsn, drop: () => onPostgres(admin, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
  }
  await onMysql(admin, `CREATE DATABASE ${name} CHARACTER SET utf8mb4`);
  return { dialect, dsn, drop: () => onMysql(admin, `DROP DATABASE IF EXISTS ${name}`) };
}

function adminUrl(dialect: 'postgres' | 'mysql'): string {
  const url = process.env[ADMIN_URL_VARIABLES[dialect]];
  if (!url) throw new Error(`${ADMIN_URL_VARIABLES[dialect]} is not set`);
  return url;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function onPostgres(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

async function onMysql(url: string, statement: string): Promise<void> {
  const connection = await mysql.createConnection(url.replace(/^mariadb:/, 'mysql:'));
  try {
    await connection.query(statement);
  } finally {
    await connection.end();
  }
}
