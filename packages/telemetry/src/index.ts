// @flotilla/kit/observability: logs, metrics, traces and anomaly detection.
export { createLogger, REDACT_PATHS, type Logger, type LoggerSettings } from './logger.ts';
export { redactSecrets } from './redaction.ts';
export { LineBatch } from './log-destination.ts';
export { correlationMixin, mergeCorrelation, activeCorrelationJson, correlationJson } from './log-correlation.ts';
export { writeAccessLine, accessLineEnabled, type AccessEntry } from './access-line.ts';
export {
  MetricsConfig,
  TracingConfig,
  AnomalyConfig,
  type MetricsSettings,
  type TracingSettings,
  type AnomalySettings,
} from './config.ts';
export { MetricsRegistry, type MetricSpec, type GaugeSpec, type HistogramSpec } from './metrics/registry.ts';
export {
  HttpServerMetrics,
  RouteSeries,
  HTTP_DURATION_BUCKETS,
  UNMATCHED_ROUTE,
  methodLabel,
} from './metrics/http-server.ts';
export { RpcServerMetrics, RpcClientMetrics, RpcMethodSeries } from './metrics/rpc.ts';
export { registerRuntimeMetrics, registerServiceInfo, type ServiceIdentity } from './metrics/runtime.ts';
export {
  createServiceTelemetry,
  currentTelemetry,
  withTelemetry,
  type ServiceTelemetry,
  type TelemetrySettings,
  type CreateTelemetryOptions,
} from './telemetry.ts';
export {
  registerHttpTelemetry,
  httpServerTelemetry,
  HttpServerTelemetry,
  HttpRequestTelemetry,
  ANOMALIES_PATH,
  CLIENT_CLOSED_REQUEST,
} from './http-telemetry.ts';
export {
  createServerTelemetryInterceptor,
  createClientTelemetryInterceptor,
  type ServerTelemetryOptions,
} from './grpc-telemetry.ts';
export { createServiceTracing, KIT_TRACER_NAME, type ServiceTracing } from './tracing/provider.ts';
export { SERVICE_SPAN_SCOPE, serviceSpanScope, type ServiceSpanScope } from './tracing/scope.ts';
export { keepTracingContextSynchronous } from './tracing/global.ts';
export { decodeTraceExport, fields, hex, type OtlpAttributeValue, type OtlpSpan } from './tracing/otlp-decoding.ts';
export {
  RecentSpans,
  RECENT_SPANS_MAX_BYTES,
  type RecentSpan,
  type RecentSpanKind,
  type RecentSpanStatus,
  type RecentTrace,
} from './tracing/recent-spans.ts';
export * from './anomaly/index.ts';
export { REQUEST_ID_HEADER, requestIdFrom } from './request-id.ts';
export { drainLogger } from './logger.ts';
export { followAnomalyConfig } from './anomaly/follow-config.ts';
