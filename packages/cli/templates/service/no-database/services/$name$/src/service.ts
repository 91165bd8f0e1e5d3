/** The $name$ declaration: what it serves and how its parts connect. */
import { descriptorSet } from '@flotilla/contracts/descriptor-set'; // #if grpc
import { $Name$ServiceService } from '@flotilla/contracts/$name$'; // #if grpc
import { defineService } from '@flotilla/kit';
import { $Name$Config } from './config.ts';
import { $nameCamel$Implementation } from './grpc.ts'; // #if grpc
import { register$Name$Routes } from './http.ts';

export const $nameCamel$Service = defineService({
  name: '$name$',
  version: '0.1.0',
  description: 'Says hello.',
  config: $Name$Config,
  http: (app) => register$Name$Routes(app),
  // #if grpc
  grpc: {
    services: () => [{ definition: $Name$ServiceService, implementation: $nameCamel$Implementation }],
    descriptorSet,
  },
  // #endif
});
