/** Greeter's config: only the shared keys (HTTP, gRPC, logging, shutdown). */
import { GrpcConfig, serviceConfig } from '@flotilla/service';

export const GreeterConfig = serviceConfig({ grpc: GrpcConfig });
