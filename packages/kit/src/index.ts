// Errors, request context, deadlines and ids come from @flotilla/core.
export * from '@flotilla/core';
export * from '@flotilla/config';
export * from './http/index.ts';
export * from './service/index.ts';
export { createLogger, type Logger, type LoggerSettings } from './observability/logger.ts';
export { compileChecker, schemaProblems, type SchemaProblem } from '@flotilla/config';
