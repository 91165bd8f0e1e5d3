/** Greeter's config: only the shared keys (HTTP, gRPC, logging, shutdown). */
import { GrpcConfig, serviceConfig } from '@flotilla/kit/config';

export const GreeterConfig = serviceConfig({ grpc: GrpcConfig });
