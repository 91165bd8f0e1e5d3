export * from './errors.js';
export * from './context.js';
export { uuidv7, UUID_PATTERN } from './ids.js';
export * from './config/index.js';
export * from './http/index.js';
export * from './service/index.js';
export { createLogger, type Logger, type LoggerSettings } from './observability/logger.js';
export { compileChecker, schemaProblems, type SchemaProblem } from './schema-errors.js';
