/** Greeter's config: only the shared keys (HTTP, gRPC, logging, shutdown). */
import { GrpcConfig, serviceConfig } from '@flotilla/kit/service';

export const GreeterConfig = serviceConfig({ grpc: GrpcConfig });
