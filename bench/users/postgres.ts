/**
 * A private PostgreSQL for the bench (scripts/test-services) with a dedicated
 * database, created through the admin URL.
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

export async function startBenchPostgres(log: (message: string) => void): Promise<BenchPostgres> {
  log('starting PostgreSQL (scripts/test-services)');
  const services = await startServices({ only: ['postgres'], log: (message) => log(`  ${message}`) });
  try {
    const adminUrl = services.env.FLOTILLA_TEST_POSTGRES_URL;
    if (adminUrl === undefined) throw new Error('test-services gave no FLOTILLA_TEST_POSTGRES_URL');
    await admin(adminUrl, `DROP DATABASE IF EXISTS ${DATABASE}`);
    await admin(adminUrl, `CREATE DATABASE ${DATABASE}`);
    const dsn = new URL(adminUrl);
    dsn.pathname = `/${DATABASE}`;
    return { dsn: dsn.toString(), stop: () => services.stop() };
  } catch (error) {
    await services.stop();
    throw error;
  }
}
