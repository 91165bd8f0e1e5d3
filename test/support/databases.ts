/**
 * Fresh databases for suites that run once per dialect.
 *
 *   for (const dialect of testDialects()) describe(dialect, () => { ... createTestDatabase(dialect) ... })
 *
 * PostgreSQL and MySQL come from admin URLs in FLOTILLA_TEST_POSTGRES_URL and
 * FLOTILLA_TEST_MYSQL_URL (started by scripts/test-services). Under `npm test`
 * (FLOTILLA_TEST_REQUIRE_SERVICES=1) a missing URL fails the suite; in a quick
 * local run the dialect is skipped with a note on stderr.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';

export type DialectName = 'sqlite' | 'postgres' | 'mysql';

export interface TestDatabase {
  dialect: DialectName;
  dsn: string;
  drop(): Promise<void>;
}

const URL_VARIABLES = {
  postgres: 'FLOTILLA_TEST_POSTGRES_URL',
  mysql: 'FLOTILLA_TEST_MYSQL_URL',
} as const;

let skipNoted = false;

/** The dialects to run a parameterised suite against. */
export function testDialects(): DialectName[] {
  const required = process.env.FLOTILLA_TEST_REQUIRE_SERVICES === '1';
  const dialects: DialectName[] = ['sqlite'];
  const skipped: string[] = [];
  for (const dialect of ['postgres', 'mysql'] as const) {
    const variable = URL_VARIABLES[dialect];
    if (process.env[variable]) {
      dialects.push(dialect);
    } else if (required) {
      throw new Error(
        `${variable} is not set but FLOTILLA_TEST_REQUIRE_SERVICES=1: start the test servers (scripts/test-services) or run npm run test:unit`,
      );
    } else {
      skipped.push(`${dialect} (${variable} not set)`);
    }
  }
  if (skipped.length > 0 && !skipNoted) {
    skipNoted = true;
    process.stderr.write(`[test] skipping database dialects: ${skipped.join(', ')}\n`);
  }
  return dialects;
}

/** A fresh, empty database of that dialect; `drop()` removes it. */
export async function createTestDatabase(dialect: DialectName): Promise<TestDatabase> {
  const name = `flotilla_test_${randomBytes(6).toString('hex')}`;
  switch (dialect) {
    case 'sqlite': {
      const dir = mkdtempSync(join(tmpdir(), 'flotilla-test-'));
      return { dialect, dsn: `sqlite:${join(dir, 'test.db')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
    }
    case 'postgres': {
      const admin = adminUrl(dialect);
      await withPostgres(admin, (client) => client.query(`CREATE DATABASE ${name}`));
      return {
        dialect,
        dsn: withDatabase(admin, name),
        drop: () => withPostgres(admin, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)),
      };
    }
    case 'mysql': {
      const admin = adminUrl(dialect);
      await withMysql(admin, (connection) => connection.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4`));
      return {
        dialect,
        dsn: withDatabase(admin, name),
        drop: () => withMysql(admin, (connection) => connection.query(`DROP DATABASE IF EXISTS ${name}`)),
      };
    }
  }
}

function adminUrl(dialect: 'postgres' | 'mysql'): string {
  const url = process.env[URL_VARIABLES[dialect]];
  if (!url) throw new Error(`${URL_VARIABLES[dialect]} is not set`);
  return url;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function withPostgres(url: string, run: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await run(client);
  } finally {
    await client.end();
  }
}

async function withMysql(url: string, run: (connection: mysql.Connection) => Promise<unknown>): Promise<void> {
  const connection = await mysql.createConnection(url.replace(/^mariadb:/, 'mysql:'));
  try {
    await run(connection);
  } finally {
    await connection.end();
  }
}
