/**
 * `GET /admin/traces/:traceId`: the spans of one trace this process exported
 * lately (`telemetry.tracing.recent`, kept while tracing is on), for the
 * gateway, which merges every service's share into one trace. Admin only: a
 * span's attributes name paths and queries. The gateway asks with its signed
 * identity header, an operator with an admin credential.
 */
import type { FastifyInstance } from 'fastify';
import type { RecentSpan, ServiceTelemetry } from '@flotilla/telemetry';
import Type from 'typebox';

export const RECENT_TRACE_PATH = '/traces/:traceId';

/** W3C trace ids: 32 lower-case hex digits. */
export const TraceIdParam = Type.String({
  pattern: '^[0-9a-f]{32}$',
  minLength: 32,
  maxLength: 32,
  description: 'a W3C trace id (32 lower-case hex digits)',
});

export interface RecentTraceAnswer {
  service: string;
  traceId: string;
  /** False when tracing is off here: no span is kept. */
  tracing: boolean;
  spans: RecentSpan[];
}

/**
 * Registers the route on an `/admin` scope, unless that scope already serves
 * the path (the gateway answers it with the merged trace).
 */
export function registerRecentTraceRoute(scope: FastifyInstance, telemetry: ServiceTelemetry, path = RECENT_TRACE_PATH): void {
  if (scope.hasRoute({ method: 'GET', url: `${scope.prefix}${path}` })) return;
  scope.get<{ Params: { traceId: string } }>(
    path,
    { schema: { hide: true, params: Type.Object({ traceId: TraceIdParam }) }, config: { auth: { roles: ['admin'] } } },
    async (request): Promise<RecentTraceAnswer> => {
      const recent = telemetry.tracing?.recent;
      return {
        service: telemetry.identity.service,
        traceId: request.params.traceId,
        tracing: recent !== undefined,
        spans: recent?.trace(request.params.traceId) ?? [],
      };
    },
  );
}
