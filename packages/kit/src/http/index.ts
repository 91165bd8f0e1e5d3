export { createHttpServer, type HttpApp, type HttpServerOptions } from './server.ts';
export { registerHealthRoutes, type HealthCheck, type HealthOptions } from './health.ts';
export { registerOpenApi, type OpenApiInfo } from './openapi.ts';
export { PROBLEM_CONTENT_TYPE, PROBLEM_BASE_URI, problemType, problemBody, statusOf, type Problem } from './problem.ts';
export { REQUEST_ID_HEADER } from './request-id.ts';
export { ProblemSchema, problemResponses } from './schemas.ts';
export { versionEtag, expectedVersion } from './etag.ts';
export * from './auth/index.ts';
