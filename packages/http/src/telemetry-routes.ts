// The routes that expose a process's telemetry: its metrics for Prometheus and its active anomalies.
import type { FastifyInstance } from 'fastify';
import { ANOMALIES_PATH, type ServiceTelemetry } from '@flotilla/telemetry';

/** `GET <metrics.path>`: the service's registry in the Prometheus text format. Never shed, never traced. */
export function registerMetricsRoute(app: FastifyInstance, telemetry: ServiceTelemetry): void {
  if (!telemetry.settings.metrics.enabled) return;
  const registry = telemetry.metrics;
  app.get(telemetry.settings.metrics.path, { schema: { hide: true }, config: { shed: false } }, async (_request, reply) => {
    const body = await registry.metrics();
    return reply.type(registry.contentType).send(body);
  });
}

/** `GET /admin/anomalies`: the anomalies raised now, for the CLI and operators. */
export function registerAnomaliesRoute(app: FastifyInstance, telemetry: ServiceTelemetry, path = ANOMALIES_PATH): void {
  const anomalies = telemetry.anomalies;
  app.get(path, { schema: { hide: true } }, async () => ({
    service: telemetry.identity.service,
    anomalies: anomalies.active(),
  }));
}
