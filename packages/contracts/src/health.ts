// grpc.health.v1: the standard health checking protocol (HealthService definition, HealthClient, HealthServer, messages).
export * from './gen/grpc/health/v1/health.ts';
