/** The greeter declaration: the smallest complete service, and the template new services start from. */
import { defineService } from '@flotilla/kit';
import { descriptorSet } from '@flotilla/contracts/descriptor-set';
import { GreeterServiceService } from '@flotilla/contracts/greeter';
import { GreeterConfig } from './config.ts';
import { greeterImplementation } from './grpc.ts';
import { registerGreeterRoutes } from './http.ts';

export const greeterService = defineService({
  name: 'greeter',
  version: '0.1.0',
  description: 'Says hello over REST and gRPC.',
  config: GreeterConfig,
  http: (app) => registerGreeterRoutes(app),
  grpc: {
    services: () => [{ definition: GreeterServiceService, implementation: greeterImplementation }],
    descriptorSet,
  },
});
