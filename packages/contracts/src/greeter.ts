// flotilla.greeter.v1: GreeterServiceService (definition), GreeterServiceClient, GreeterServiceServer, messages.
export * from './gen/flotilla/greeter/v1/greeter.ts';
