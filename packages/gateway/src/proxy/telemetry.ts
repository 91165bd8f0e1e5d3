/**
 * The gateway's telemetry for its routed path (below Fastify, so the kit's
 * Fastify hooks never see it): the kit's `HttpServerTelemetry` for the
 * request itself (RED metrics by route template, SERVER span continuing
 * `traceparent`, the route's anomaly detector) and `UpstreamTelemetry` for
 * the calls it makes (CLIENT spans, client metrics, upstream detectors).
 */
import { httpServerTelemetry, type HttpServerTelemetry, type ServiceTelemetry } from '@flotilla/telemetry';
import { UpstreamTelemetry } from './upstream-telemetry.ts';

export class GatewayTelemetry {
  readonly requests: HttpServerTelemetry;
  readonly upstreams: UpstreamTelemetry;

  constructor(telemetry: ServiceTelemetry) {
    this.requests = httpServerTelemetry(telemetry);
    this.upstreams = new UpstreamTelemetry(telemetry);
  }
}
