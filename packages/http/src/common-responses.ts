/**
 * The problems any route can answer with, added to each documented route's
 * `response` schema so `/openapi.json` lists every status the server really
 * sends, with its real media type — without each route repeating them. A
 * status a route already documents keeps the route's own description.
 */
import type { FastifyInstance, RouteOptions } from 'fastify';
import { problemResponse, type ProblemResponse } from './schemas.ts';

/** Methods whose body Fastify reads (when a content type is sent), so a body problem is possible. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Every route: unexpected failure, shed or draining, deadline passed. */
const ALWAYS = [500, 503, 504];

interface RouteSchema {
  hide?: boolean;
  params?: unknown;
  querystring?: unknown;
  headers?: unknown;
  body?: unknown;
  response?: Record<string | number, unknown>;
}

interface RouteConfig {
  auth?: { roles?: readonly string[]; required?: boolean } | undefined;
  rateLimit?: string | false | undefined;
}

/** Which problem statuses `route` can answer with, besides what its handler decides. */
export function commonStatuses(route: Pick<RouteOptions, 'method' | 'url' | 'schema' | 'config'>): number[] {
  const schema = (route.schema ?? {}) as RouteSchema;
  const config = (route.config ?? {}) as RouteConfig;
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  const statuses = new Set<number>(ALWAYS);
  const hasParams = route.url.includes(':') || route.url.includes('*');
  if (hasParams) statuses.add(414);
  if (hasParams || schema.querystring !== undefined || schema.headers !== undefined || schema.body !== undefined) statuses.add(400);
  if (methods.some((m) => BODY_METHODS.has(m.toUpperCase()))) {
    statuses.add(400);
    statuses.add(413);
    statuses.add(415);
  }
  if (config.auth !== undefined) {
    statuses.add(401);
    if ((config.auth.roles?.length ?? 0) > 0) statuses.add(403);
  }
  if (typeof config.rateLimit === 'string') statuses.add(429);
  return [...statuses].sort((a, b) => a - b);
}

/** Adds the common problems to every route registered after this call that has a schema and is not hidden. */
export function documentCommonResponses(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const schema = route.schema as RouteSchema | undefined;
    if (schema === undefined || schema.hide === true) return;
    const response: Record<string | number, unknown> = { ...(schema.response ?? {}) };
    for (const status of commonStatuses(route)) {
      if (response[status] === undefined && response[String(status)] === undefined)
        response[status] = problemResponse(status) satisfies ProblemResponse;
    }
    route.schema = { ...schema, response };
  });
}
