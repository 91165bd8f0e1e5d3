/** The users service declaration: what it needs and how its parts connect. */
import { defineService } from '@flotilla/kit';
import { UsersConfig } from './config.js';
import { UsersDomain } from './domain.js';
import { descriptorSet } from '@flotilla/contracts/descriptor-set';
import { UserServiceService } from '@flotilla/contracts/users';
import { userServiceImplementation } from './grpc.js';
import { registerUserRoutes } from './http.js';
import { migrations } from './migrations/index.js';
import { UserStore } from './store.js';

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
