// flotilla.users.v1: UserServiceService (definition), UserServiceClient, UserServiceServer, User, messages.
export * from './gen/flotilla/users/v1/users.ts';
