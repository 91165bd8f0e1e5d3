/** Starts the users service in-process on a free port against a fresh database of one dialect. */
import { join } from 'node:path';
import { createTestDatabase, type DialectName, type TestDatabase } from '../../../test/support/databases.ts';
import { usersService } from '../src/service.ts';
import { captureLogs, type CapturedLogs } from '../../../packages/kit/test/support/log-capture.ts';

export interface UsersUnderTest {
  base: string;
  grpcAddress: string;
  logs: CapturedLogs;
  database: TestDatabase;
  stop(): Promise<void>;
}

export async function startUsers(dialect: DialectName, extraEnv: Record<string, string> = {}): Promise<UsersUnderTest> {
  const database = await createTestDatabase(dialect);
  const logs = captureLogs();
  const running = await usersService.start({
    configDir: join(import.meta.dirname, '..', '..', '..', 'config'),
    namespace: 'dev',
    logDestination: logs.stream,
    env: {
      FLOTILLA_USERS__DATABASE__DSN: database.dsn,
      FLOTILLA_USERS__HTTP__PORT: '0',
      FLOTILLA_USERS__GRPC__PORT: '0',
      FLOTILLA_USERS__HTTP__BODY_LIMIT_BYTES: '16384',
      ...extraEnv,
    },
  });
  return {
    base: running.httpUrl as string,
    grpcAddress: running.grpcAddress as string,
    logs,
    database,
    stop: async () => {
      await running.stop('test finished');
      await database.drop();
    },
  };
}
