export {
  serviceConfig,
  HttpConfig,
  GrpcConfig,
  LogConfig,
  DatabaseConfig,
  ShutdownConfig,
  WorkersConfig,
  type BaseProperties,
} from './config-schema.ts';
export { defineService, type Service } from './define-service.ts';
export { runMain, isMain, EXIT_CODES } from './main.ts';
export type { ServiceDefinition, ServiceContext, RunningService, StartOptions, ServiceDatabase } from './types.ts';
export type { ServiceDiscovery } from './discovery.ts';
