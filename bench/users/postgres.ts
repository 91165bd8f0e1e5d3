/**
 * A private PostgreSQL for the bench (scripts/test-services) with dedicated
 * databases, created through the admin URL.
 */
import pg from 'pg';
import { startServices } from '../../scripts/test-services/index.ts';

const DATABASE = 'bench_users';

export interface BenchPostgres {
  /** postgres://…/bench_users */
  dsn: string;
  /** Stops the server (its data is a temp dir, so the database goes with it). */
  stop(): Promise<void>;
}

export interface PostgresServer {
  /** A URL whose user may create and drop databases. */
  adminUrl: string;
  /** Stops the server (its data is a temp dir, so every database goes with it). */
  stop(): Promise<void>;
}

async function admin(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A fresh PostgreSQL from scripts/test-services (it installs the Debian package if missing). */
export async function startPostgresServer(log: (message: string) => void): Promise<PostgresServer> {
  log('starting PostgreSQL (scripts/test-services)');
  const services = await startServices({ only: ['postgres'], log: (message) => log(`  ${message}`) });
  const adminUrl = services.env.FLOTILLA_TEST_POSTGRES_URL;
  if (adminUrl === undefined) {
    await services.stop();
    throw new Error('test-services gave no FLOTILLA_TEST_POSTGRES_URL');
  }
  return { adminUrl, stop: () => services.stop() };
}

/** Drops (if there) and creates each database; returns their URLs, in order. Names are the bench's own constants. */
export async function createDatabases(adminUrl: string, names: string[]): Promise<string[]> {
  const dsns: string[] = [];
  for (const name of names) {
    await admin(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin(adminUrl, `CREATE DATABASE ${name}`);
    const dsn = new URL(adminUrl);
    dsn.pathname = `/${name}`;
    dsns.push(dsn.toString());
  }
  return dsns;
}

/** Drops each database, also when clients are still connected. */
export async function dropDatabases(adminUrl: string, names: string[]): Promise<void> {
  for (const name of names) await admin(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

export async function startBenchPostgres(log: (message: string) => void): Promise<BenchPostgres> {
  const server = await startPostgresServer(log);
  try {
    await admin(server.adminUrl, `DROP DATABASE IF EXISTS ${DATABASE}`);
    await admin(server.adminUrl, `CREATE DATABASE ${DATABASE}`);
    const dsn = new URL(server.adminUrl);
    dsn.pathname = `/${DATABASE}`;
    return { dsn: dsn.toString(), stop: () => server.stop() };
  } catch (error) {
    await server.stop();
    throw error;
  }
}
