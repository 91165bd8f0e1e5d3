/** The users service declaration: what it needs and how its parts connect. */
import { defineService } from '@flotilla/kit';
import { UsersConfig } from './config.ts';
import { UsersDomain } from './domain.ts';
import { descriptorSet } from '@flotilla/contracts/descriptor-set';
import { UserServiceService } from '@flotilla/contracts/users';
import { userServiceImplementation } from './grpc.ts';
import { registerUserRoutes } from './http.ts';
import { migrations } from './migrations/index.ts';
import { UserStore } from './store.ts';

export const usersService = defineService({
  name: 'users',
  version: '0.1.0',
  description: 'Users: create, read, replace, delete and list, with optimistic concurrency and idempotent creates.',
  config: UsersConfig,
  database: { migrations },
  setup: ({ config, database }) => new UsersDomain(new UserStore(database!), { idempotencyTtlMs: config.idempotency.ttlMs }),
  http: (app, users) => registerUserRoutes(app, users),
  grpc: {
    services: (users) => [{ definition: UserServiceService, implementation: userServiceImplementation(users) }],
    descriptorSet,
  },
});
