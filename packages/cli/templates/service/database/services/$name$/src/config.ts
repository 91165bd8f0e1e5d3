/** The $name$ service's config: the shared keys plus its database and its gRPC listener. */ // #if grpc
/** The $name$ service's config: the shared keys plus its database. */ // #if !grpc
import {
  DatabaseConfig,
  GrpcConfig, // #if grpc
  serviceConfig,
} from '@flotilla/service';

export const $Name$Config = serviceConfig({
  grpc: GrpcConfig, // #if grpc
  database: DatabaseConfig,
});
