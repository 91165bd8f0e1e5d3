// @flotilla/kit/observability: logs, metrics, traces and anomaly detection.
export { createLogger, REDACT_PATHS, type Logger, type LoggerSettings } from './logger.js';
export { correlationMixin } from './log-correlation.js';
export { MetricsConfig, TracingConfig, AnomalyConfig, type MetricsSettings, type TracingSettings, type AnomalySettings } from './config.js';
export { MetricsRegistry, type MetricSpec, type GaugeSpec, type HistogramSpec } from './metrics/registry.js';
export { HttpServerMetrics, RouteSeries, HTTP_DURATION_BUCKETS, UNMATCHED_ROUTE, methodLabel } from './metrics/http-server.js';
export { RpcServerMetrics, RpcClientMetrics, RpcMethodSeries } from './metrics/rpc.js';
export { DatabaseMetrics, DB_DURATION_BUCKETS } from './metrics/database.js';
export { registerRuntimeMetrics, registerServiceInfo, type ServiceIdentity } from './metrics/runtime.js';
export { createServiceTelemetry, currentTelemetry, withTelemetry, type ServiceTelemetry, type TelemetrySettings, type CreateTelemetryOptions } from './telemetry.js';
export { registerHttpTelemetry, registerMetricsRoute, registerAnomaliesRoute, httpServerTelemetry, HttpServerTelemetry, HttpRequestTelemetry, ANOMALIES_PATH, CLIENT_CLOSED_REQUEST } from './http-telemetry.js';
export { createServerTelemetryInterceptor, createClientTelemetryInterceptor, type ServerTelemetryOptions } from './grpc-telemetry.js';
export { databaseQueryLogger, describeQuery, dbSystemName, type DatabaseTelemetryOptions } from './database-telemetry.js';
export { createServiceTracing, KIT_TRACER_NAME, type ServiceTracing } from './tracing/provider.js';
export { SERVICE_SPAN_SCOPE, serviceSpanScope, type ServiceSpanScope } from './tracing/scope.js';
export { keepTracingContextSynchronous } from './tracing/global.js';
export * from './anomaly/index.js';
