/** $name$ in this process: the repository's config/dev on free ports, with a database of its own. */
import { configDir, createTestDatabase, type DialectName } from '@flotilla/testing';
import { $nameCamel$Service } from '../../../src/service.ts';

export interface $Name$UnderTest {
  /** The REST API, e.g. http://127.0.0.1:PORT */
  base: string;
  grpcAddress: string; // #if grpc
  /** A graceful stop, then the database dropped. */
  stop(): Promise<void>;
}

export async function start$Name$(dialect: DialectName): Promise<$Name$UnderTest> {
  const database = await createTestDatabase(dialect);
  const running = await $nameCamel$Service.start({
    configDir,
    namespace: 'dev',
    env: {
      FLOTILLA_$NAME$__DATABASE__DSN: database.dsn,
      FLOTILLA_$NAME$__HTTP__PORT: '0',
      FLOTILLA_$NAME$__GRPC__PORT: '0', // #if grpc
      FLOTILLA_$NAME$__LOG__LEVEL: 'warn',
    },
  });
  return {
    base: running.httpUrl as string,
    grpcAddress: running.grpcAddress as string, // #if grpc
    stop: async () => {
      await running.stop('test finished');
      await database.drop();
    },
  };
}
