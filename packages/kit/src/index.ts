// Errors, request context, deadlines and ids come from @flotilla/core.
export * from '@flotilla/core';
export * from '@flotilla/config';
export * from '@flotilla/http';
export * from '@flotilla/service';
export { createLogger, type Logger, type LoggerSettings } from '@flotilla/telemetry';
export { compileChecker, schemaProblems, type SchemaProblem } from '@flotilla/config';
