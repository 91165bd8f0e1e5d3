export { defineService, type Service } from './define-service.js';
export { runMain, isMain, EXIT_CODES } from './main.js';
export type { ServiceDefinition, ServiceContext, RunningService, StartOptions, ServiceDatabase } from './types.js';
export type { ServiceDiscovery } from './discovery.js';
