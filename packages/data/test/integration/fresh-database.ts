/** A fresh database per test for the data-layer suites, opened through the kit. */
import { createDatabase, type Database, type DatabaseOptions } from '@flotilla/data';
import { createTestDatabase, type DialectName, type TestDatabase } from '@flotilla/testing';

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
