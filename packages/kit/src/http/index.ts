export { createHttpServer, type HttpApp, type HttpServerOptions } from './server.js';
export { registerHealthRoutes, type HealthCheck, type HealthOptions } from './health.js';
export { registerOpenApi, type OpenApiInfo } from './openapi.js';
export { PROBLEM_CONTENT_TYPE, PROBLEM_BASE_URI, problemType, problemBody, statusOf, type Problem } from './problem.js';
export { REQUEST_ID_HEADER } from './request-id.js';
export { ProblemSchema, problemResponses } from './schemas.js';
export { versionEtag, expectedVersion } from './etag.js';
export * from './auth/index.js';
