/** UserService under hostile gRPC input (the checks of packages/grpc's hostile suite), on the real service. */
import { CreateUserRequest } from '@flotilla/contracts/users';
import { createDatabase } from '@flotilla/data';
import { startUsers } from '@flotilla/testing';
import { describeHostileInput } from '@flotilla/testing';

let created = 0;

describeHostileInput('users', async () => {
  const users = await startUsers();
  const reader = createDatabase({ dsn: users.database.dsn });
  return {
    target: users.grpcAddress,
    // CreateUser writes a row: a refused call must not.
    path: '/flotilla.users.v1.UserService/CreateUser',
    validRequest: () =>
      Buffer.from(
        CreateUserRequest.encode({ name: `Hostile ${++created}`, email: `hostile-${process.pid}-${created}@example.com` }).finish(),
      ),
    effects: async () => {
      const row = await reader.db
        .selectFrom('users' as never)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      return Number((row as { n: unknown }).n);
    },
    stop: async () => {
      await reader.close();
      await users.stop();
    },
  };
});
