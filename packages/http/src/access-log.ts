/**
 * One ECS access line per request, written when the response has been sent.
 * Uses the route template (`/users/:id`), never only the raw path, so the
 * field stays low-cardinality for dashboards. The line is built as one
 * string by the kit's `writeAccessLine`, through the request's logger (its
 * `http.request.id` binding, level and destination), with the trace ids of
 * the request's span.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { accessLineEnabled, activeCorrelationJson, UNMATCHED_ROUTE, writeAccessLine } from '@flotilla/telemetry';

/** A callback hook, not an async one: no promise per request. */
function writeAccess(request: FastifyRequest, reply: FastifyReply, done: () => void): void {
  const status = reply.statusCode;
  const log = request.log as unknown as Logger;
  // Build nothing when the line would be dropped (access lines are info, failures error).
  if (accessLineEnabled(log, status)) {
    const length = reply.getHeader('content-length');
    writeAccessLine(log, {
      status,
      durationNs: reply.elapsedTime * 1e6,
      requestId: request.id,
      method: request.method,
      url: request.url,
      route: request.routeOptions.url ?? UNMATCHED_ROUTE,
      clientAddress: request.ip,
      bodyBytes: length === undefined ? undefined : Number(length),
      userAgent: request.headers['user-agent'],
      correlation: activeCorrelationJson(),
    });
  }
  done();
}

export function registerAccessLog(app: FastifyInstance): void {
  app.addHook('onResponse', writeAccess);
}
