/** gRPC: flotilla.greeter.v1.GreeterService/SayHello. */
import { unary } from '@flotilla/grpc';
import type { GreeterServiceServer } from '@flotilla/contracts/greeter';
import { greet } from './domain.ts';

export const greeterImplementation: GreeterServiceServer = {
  sayHello: unary(async ({ name }) => ({ message: greet(name) })),
};
