/**
 * Process-level metrics: prom-client's Node runtime set (CPU, memory, heap
 * spaces, GC durations, event-loop lag percentiles, active handles), under
 * their standard unprefixed names so stock dashboards work, and
 * `flotilla_service_info{service,version,namespace} 1` to join on.
 */
import { collectDefaultMetrics } from 'prom-client';
import type { MetricsRegistry } from './registry.ts';

export interface ServiceIdentity {
  service: string;
  version: string;
  namespace: string;
}

export function registerRuntimeMetrics(registry: MetricsRegistry): void {
  // 10 ms resolution for the event-loop delay histogram (prom-client's default).
  collectDefaultMetrics({ register: registry.registry, eventLoopMonitoringPrecision: 10 });
}

export function registerServiceInfo(registry: MetricsRegistry, identity: ServiceIdentity): void {
  registry
    .gauge({
      name: 'flotilla_service_info',
      help: 'Constant 1, labelled with the service, its version and config namespace.',
      labelNames: ['service', 'version', 'namespace'],
      // Constant: a group of workers is one service instance.
      aggregator: 'first',
    })
    .set({ service: identity.service, version: identity.version, namespace: identity.namespace }, 1);
}
