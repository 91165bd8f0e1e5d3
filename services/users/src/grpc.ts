/** gRPC UserService: the same domain calls as the REST routes, validated with the same schemas. */
import { compileChecker, ValidationError, type FieldViolation } from '@flotilla/kit';
import { serverStreaming, unary } from '@flotilla/grpc';
import type { User as WireUser, UserServiceServer } from '@flotilla/contracts/users';
import Type from 'typebox';
import type { UsersDomain } from './domain.ts';
import { UserId, UserInput } from './schemas.ts';
import type { UserRecord } from './repository.ts';

const BATCH_MAX = 100;
const LIST_PAGE = 100;
const checkInput = compileChecker(UserInput);
const checkIds = compileChecker(Type.Array(UserId, { maxItems: BATCH_MAX }));
const checkId = compileChecker(UserId);

export function userServiceImplementation(users: UsersDomain): UserServiceServer {
  return {
    getUser: unary(async ({ id }) => {
      validate(checkId, id, 'id');
      return { user: toMessage(await users.get(id)) };
    }),
    batchGetUsers: unary(async ({ ids }) => {
      validate(checkIds, ids, 'ids');
      return { users: (await users.getMany(ids)).map(toMessage) };
    }),
    listUsers: serverStreaming(async function* ({ maxUsers }) {
      if (maxUsers < 0) throw new ValidationError([{ field: 'max_users', rule: 'minimum', message: 'must be >= 0 (0 means all)' }]);
      let remaining = maxUsers === 0 ? Number.POSITIVE_INFINITY : maxUsers;
      let cursor: string | undefined;
      while (remaining > 0) {
        const page = await users.list({ limit: Math.min(LIST_PAGE, remaining), cursor });
        for (const user of page.items) yield { user: toMessage(user) };
        remaining -= page.items.length;
        if (page.nextCursor === null) return;
        cursor = page.nextCursor;
      }
    }),
    createUser: unary(async ({ name, email }) => {
      validate(checkInput, { name, email }, '');
      const { user } = await users.create({ name, email });
      return { user: toMessage(user) };
    }),
  };
}

function validate(checker: ReturnType<typeof compileChecker>, value: unknown, root: string): void {
  if (checker.check(value)) return;
  const violations: FieldViolation[] = checker
    .problems(value)
    .map((p) => ({ field: [root, ...p.path].filter(Boolean).join('.'), rule: p.rule, message: p.message }));
  throw new ValidationError(violations);
}

function toMessage(user: UserRecord): WireUser {
  return { id: user.id, name: user.name, email: user.email, createTime: user.createdAt, updateTime: user.updatedAt, version: user.version };
}
