import { usersService } from '@flotilla/users';
import { createTestDatabase, type DialectName, type TestDatabase } from '../databases/test-database.ts';
import { captureLogs, type CapturedLogs } from '../log-capture.ts';
import { configDir } from '../repository.ts';

export interface StartUsersOptions {
  /** The database the service runs on, a fresh one (default SQLite). */
  dialect?: DialectName;
  /** Environment on top of the one the starter sets (FLOTILLA_USERS__… keys, FLOTILLA_HOME). */
  env?: Record<string, string>;
}

export interface UsersUnderTest {
  /** The REST API, e.g. http://127.0.0.1:PORT */
  base: string;
  grpcAddress: string;
  logs: CapturedLogs;
  database: TestDatabase;
  /** Creates a user over REST and returns its id. */
  createUser(name?: string): Promise<string>;
  /** A graceful stop, then the database dropped. */
  stop(): Promise<void>;
}

let usersCreated = 0;

/**
 * The real users service in this process, with the repository's `config/dev`
 * on free ports and a database of its own; its log lines are captured. The
 * request body limit is 16 KiB, so a body over the limit stays small.
 */
export async function startUsers(options: StartUsersOptions = {}): Promise<UsersUnderTest> {
  const database = await createTestDatabase(options.dialect ?? 'sqlite');
  const logs = captureLogs();
  const running = await usersService.start({
    configDir,
    namespace: 'dev',
    logDestination: logs.stream,
    env: {
      FLOTILLA_USERS__DATABASE__DSN: database.dsn,
      FLOTILLA_USERS__HTTP__PORT: '0',
      FLOTILLA_USERS__GRPC__PORT: '0',
      FLOTILLA_USERS__HTTP__BODY_LIMIT_BYTES: '16384',
      ...options.env,
    },
  });
  const base = running.httpUrl as string;
  return {
    base,
    grpcAddress: running.grpcAddress as string,
    logs,
    database,
    createUser: async (name = 'Buyer') => {
      const response = await fetch(`${base}/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name, email: `user-${process.pid}-${++usersCreated}@example.com` }),
      });
      if (response.status !== 201) throw new Error(`creating a user failed: ${response.status} ${await response.text()}`);
      return ((await response.json()) as { id: string }).id;
    },
    stop: async () => {
      await running.stop('test finished');
      await database.drop();
    },
  };
}
