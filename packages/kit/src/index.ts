export * from './errors.ts';
export * from './context.ts';
export { uuidv7, UUID_PATTERN } from './ids.ts';
export * from './config/index.ts';
export * from './http/index.ts';
export * from './service/index.ts';
export { createLogger, type Logger, type LoggerSettings } from './observability/logger.ts';
export { compileChecker, schemaProblems, type SchemaProblem } from './schema-errors.ts';
