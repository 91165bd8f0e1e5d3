/**
 * ServiceTelemetry: everything observability one service owns — its metrics
 * registry and standard instruments, its tracer provider (when tracing is
 * on), its anomaly monitor — built from the `metrics`, `tracing` and
 * `anomaly` config sections. `defineService` creates one per service and
 * hands it to the HTTP server, the gRPC server, gRPC clients made during
 * `setup` and the database (`data/telemetry.ts`); other parts (gateway,
 * breakers, rate limits) take `telemetry.metrics` to register their own
 * metrics.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'pino';
import { AnomalyMonitor } from './anomaly/monitor.ts';
import type { AnomalySettings, MetricsSettings, TracingSettings } from './config.ts';
import { HttpServerMetrics } from './metrics/http-server.ts';
import { MetricsRegistry } from './metrics/registry.ts';
import { RpcClientMetrics, RpcServerMetrics } from './metrics/rpc.ts';
import { registerRuntimeMetrics, registerServiceInfo, type ServiceIdentity } from './metrics/runtime.ts';
import { createServiceTracing, type ServiceTracing } from './tracing/provider.ts';

export interface TelemetrySettings {
  metrics: MetricsSettings;
  tracing: TracingSettings;
  anomaly: AnomalySettings;
}

export interface ServiceTelemetry {
  readonly identity: ServiceIdentity;
  /** As at start; `anomalies.settings` follows live changes of `anomaly`. */
  readonly settings: TelemetrySettings;
  /** The service's registry: create metrics here (get-or-create by name). */
  readonly metrics: MetricsRegistry;
  /** Standard instruments; undefined when `metrics.enabled` is false. */
  readonly httpServer: HttpServerMetrics | undefined;
  readonly rpcServer: RpcServerMetrics | undefined;
  readonly rpcClient: RpcClientMetrics | undefined;
  /** Undefined when `tracing.enabled` is false. */
  readonly tracing: ServiceTracing | undefined;
  /** Always present; `anomaly.enabled` turns detection on and off (live, with the rest of the section, under defineService). */
  readonly anomalies: AnomalyMonitor;
  /** Stops the anomaly timer and flushes pending spans. */
  shutdown(): Promise<void>;
}

export interface CreateTelemetryOptions {
  identity: ServiceIdentity;
  settings: TelemetrySettings;
  logger?: Logger;
}

const scope = new AsyncLocalStorage<ServiceTelemetry>();
const started: ServiceTelemetry[] = [];

/** Builds a service's telemetry. The OpenTelemetry SDK is imported only when tracing is on. */
export async function createServiceTelemetry({ identity, settings, logger }: CreateTelemetryOptions): Promise<ServiceTelemetry> {
  const metrics = new MetricsRegistry();
  const on = settings.metrics.enabled;
  if (on) {
    if (settings.metrics.runtime) registerRuntimeMetrics(metrics);
    registerServiceInfo(metrics, identity);
  }
  const tracing = settings.tracing.enabled ? await createServiceTracing(settings.tracing, identity) : undefined;
  const anomalies = AnomalyMonitor.fromSettings(settings.anomaly, metrics, logger);
  anomalies.start();

  const telemetry: ServiceTelemetry = {
    identity,
    settings,
    metrics,
    httpServer: on ? new HttpServerMetrics(metrics) : undefined,
    rpcServer: on ? new RpcServerMetrics(metrics) : undefined,
    rpcClient: on ? new RpcClientMetrics(metrics) : undefined,
    tracing,
    anomalies,
    async shutdown() {
      anomalies.stop();
      const index = started.indexOf(telemetry);
      if (index >= 0) started.splice(index, 1);
      await tracing?.shutdown();
    },
  };
  started.push(telemetry);
  return telemetry;
}

let setups = 0;

/**
 * Runs `fn` (sync or async) with `telemetry` as the current one; defineService
 * wraps `setup` in it. Once no setup is running the storage is disabled
 * again: an enabled AsyncLocalStorage costs a little on every async resource
 * the process creates, and this one is only needed while services set up.
 */
export async function withTelemetry<T>(telemetry: ServiceTelemetry, fn: () => T | Promise<T>): Promise<T> {
  setups++;
  try {
    return await scope.run(telemetry, fn);
  } finally {
    if (--setups === 0) scope.disable();
  }
}

/**
 * The telemetry of the service being set up, else of the most recently
 * started service in this process (one per process outside tests), else
 * undefined. gRPC clients pick theirs up this way when created.
 */
export function currentTelemetry(): ServiceTelemetry | undefined {
  return scope.getStore() ?? started[started.length - 1];
}
