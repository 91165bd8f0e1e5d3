/**
 * One ECS access line per request, written when the response has been sent.
 * Uses the route template (`/users/:id`), never only the raw path, so the
 * field stays low-cardinality for dashboards.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';

export function registerAccessLog(app: FastifyInstance): void {
  app.addHook('onResponse', async (request, reply) => {
    const status = reply.statusCode;
    // Build nothing when the line would be dropped (access lines are info, failures error).
    if (!(request.log as unknown as Logger).isLevelEnabled(status >= 500 ? 'error' : 'info')) return;
    const route = request.routeOptions.url ?? '(unmatched)';
    const path = request.url.split('?')[0] ?? request.url;
    const length = reply.getHeader('content-length');
    const fields = {
      event: {
        kind: 'event',
        category: ['web'],
        type: ['access'],
        outcome: status >= 500 ? 'failure' : 'success',
        duration: Math.round(reply.elapsedTime * 1e6),
      },
      http: {
        request: { id: request.id, method: request.method },
        response: { status_code: status, ...(length === undefined ? {} : { body: { bytes: Number(length) } }) },
        route,
      },
      url: { path, ...(request.url.includes('?') ? { query: request.url.slice(request.url.indexOf('?') + 1) } : {}) },
      client: { address: request.ip },
      ...(request.headers['user-agent'] === undefined ? {} : { user_agent: { original: request.headers['user-agent'] } }),
    };
    const line = `${request.method} ${path} ${status}`;
    if (status >= 500) request.log.error(fields, line);
    else request.log.info(fields, line);
  });
}
