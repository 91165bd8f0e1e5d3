/** The $name$ declaration: what it needs and how its parts connect. */
import { descriptorSet } from '@flotilla/contracts/descriptor-set'; // #if grpc
import { $Name$ServiceService } from '@flotilla/contracts/$name$'; // #if grpc
import { defineService } from '@flotilla/kit';
import { $Name$Config } from './config.ts';
import { $Name$Domain } from './domain.ts';
import { $nameCamel$Implementation } from './grpc.ts'; // #if grpc
import { register$Name$Routes } from './http.ts';
import { migrations } from './migrations/index.ts';
import { $Name$Store } from './store.ts';

export const $nameCamel$Service = defineService({
  name: '$name$',
  version: '0.1.0',
  description: 'Items: create, read, replace, delete and list, with optimistic concurrency.',
  config: $Name$Config,
  database: { migrations },
  setup: ({ database }) => new $Name$Domain(new $Name$Store(database!)),
  http: (app, items) => register$Name$Routes(app, items),
  // #if grpc
  grpc: {
    services: (items) => [{ definition: $Name$ServiceService, implementation: $nameCamel$Implementation(items) }],
    descriptorSet,
  },
  // #endif
});
