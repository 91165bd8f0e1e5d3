export { createHttpServer, type FrontHandler, type HttpApp, type HttpServerOptions, setFrontHandler } from './server.ts';
export { registerHealthRoutes, type HealthCheck, type HealthOptions } from './health.ts';
export { CONNECTION_LEVEL_ANSWERS, registerOpenApi, type OpenApiInfo } from './openapi.ts';
export {
  PROBLEM_CONTENT_TYPE,
  PROBLEM_BASE_URI,
  instanceOf,
  problemType,
  problemBody,
  statusOf,
  type Problem,
  type ProblemCode,
  type TransportProblemCode,
} from './problem.ts';
export { JSON_MAX_DEPTH } from './json-body.ts';
export { REQUEST_ID_HEADER } from '@flotilla/telemetry';
export {
  IdempotencyKeyHeader,
  IfMatchHeader,
  PROBLEM_MEDIA_TYPE,
  ProblemSchema,
  problemResponse,
  problemResponses,
  type ProblemResponse,
  Text,
  type TextOptions,
  Uuid,
} from './schemas.ts';
export { documentCommonResponses } from './common-responses.ts';
export { versionEtag, expectedVersion } from './etag.ts';
export * from '@flotilla/auth';
export { registerAuth, type RegisterAuthOptions } from './register-auth.ts';
export { loadShedderOf, registerLoadShedding, type LoadSheddingOptions, type RegisterLoadSheddingOptions } from './load-shedding.ts';
export { registerRateLimit, type RateLimitHookOptions } from './rate-limit.ts';
export { registerAnomaliesRoute, registerMetricsRoute } from './telemetry-routes.ts';
export { registerRecentTraceRoute, RECENT_TRACE_PATH, TraceIdParam, type RecentTraceAnswer } from './recent-trace-route.ts';
export {
  isLogLevel,
  LOG_LEVEL_PATH,
  LOG_LEVELS,
  LogLevelAnswer,
  LogLevelBody,
  LogLevelSchema,
  registerLogLevelRoute,
  type LevelledLogger,
} from './log-level-route.ts';
