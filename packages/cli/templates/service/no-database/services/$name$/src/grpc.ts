// #if grpc
/** gRPC $Name$Service: the same domain call as the REST route. */
import type { $Name$ServiceServer } from '@flotilla/contracts/$name$';
import { unary } from '@flotilla/grpc';
import { greet } from './domain.ts';

export const $nameCamel$Implementation: $Name$ServiceServer = {
  sayHello: unary(async ({ name }) => ({ message: greet(name) })),
};
// #endif
