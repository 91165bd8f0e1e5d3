/** The $name$ service's config: the shared keys (HTTP, logging, shutdown, discovery) and its gRPC listener. */ // #if grpc
/** The $name$ service's config: the shared keys (HTTP, logging, shutdown, discovery). */ // #if !grpc
import {
  GrpcConfig, // #if grpc
  serviceConfig,
} from '@flotilla/service';

export const $Name$Config = serviceConfig({
  grpc: GrpcConfig, // #if grpc
});
