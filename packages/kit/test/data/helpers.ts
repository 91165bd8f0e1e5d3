/** Shared bits for the data-layer suites. */
import { createServer } from 'node:net';
import { createDatabase, type Database, type DatabaseOptions } from '@flotilla/kit/data';
import { createTestDatabase, type DialectName, type TestDatabase } from '../../../../test/support/databases.ts';

export interface OpenedDatabase<DB> {
  database: Database<DB>;
  testDatabase: TestDatabase;
  cleanup(): Promise<void>;
}

/** A fresh database of `dialect`, opened through the kit. */
export async function openFresh<DB = unknown>(
  dialect: DialectName,
  options: Omit<DatabaseOptions, 'dsn'> = {},
): Promise<OpenedDatabase<DB>> {
  const testDatabase = await createTestDatabase(dialect);
  const database = createDatabase<DB>({ ...options, dsn: testDatabase.dsn });
  return {
    database,
    testDatabase,
    cleanup: async () => {
      await database.close();
      await testDatabase.drop();
    },
  };
}

/** A loopback port with nothing listening (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address.port;
}

/** Waits until `condition()` holds, polling; fails after `limitMs` so a broken condition cannot hang the suite. */
export async function until(condition: () => boolean, what: string, limitMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > limitMs) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
