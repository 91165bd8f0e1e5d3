/**
 * One tracer provider per service: its resource (service.name, version,
 * namespace, instance), a parent-based ratio sampler and a batching OTLP
 * http/protobuf exporter, all from the `tracing` config section.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Tracer, TracerProvider } from '@opentelemetry/api';
import type { TracingSettings } from '../config.js';
import type { ServiceIdentity } from '../metrics/runtime.js';
import { addLiveProvider, installTracingGlobals, removeLiveProvider } from './global.js';

/** The instrumentation scope of the kit's own spans. */
export const KIT_TRACER_NAME = '@flotilla/kit';

export interface ServiceTracing {
  readonly provider: TracerProvider;
  readonly tracer: Tracer;
  /** Exports what is buffered now (tests, and before exit). */
  forceFlush(): Promise<void>;
  /** Flushes and stops exporting. */
  shutdown(): Promise<void>;
}

/**
 * The SDK packages are imported here, on demand (≈ 400 ms of module loading,
 * and dynamic imports stay lazy in the esbuild bundles too): a service with
 * tracing off never loads them.
 */
export async function createServiceTracing(settings: TracingSettings, identity: ServiceIdentity): Promise<ServiceTracing> {
  const [, { OTLPTraceExporter }, { resourceFromAttributes }, { BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler }] = await Promise.all([
    installTracingGlobals(),
    import('@opentelemetry/exporter-trace-otlp-proto'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace-base'),
  ]);
  const exporter = new OTLPTraceExporter({ url: settings.endpoint, headers: { ...settings.headers }, timeoutMillis: settings.exportTimeoutMs });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': identity.service,
      'service.version': identity.version,
      'service.namespace': 'flotilla',
      'service.instance.id': randomUUID(),
      'deployment.environment.name': identity.namespace,
      'host.name': hostname(),
      'process.pid': process.pid,
      'process.runtime.name': 'nodejs',
      'process.runtime.version': process.versions.node,
    }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(settings.sampleRatio) }),
    // A queue deep enough for a few seconds of a busy service's spans; big batches, few export requests.
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: settings.batchDelayMs, exportTimeoutMillis: settings.exportTimeoutMs, maxQueueSize: 16_384, maxExportBatchSize: 2_048 })],
  });
  addLiveProvider(provider);
  let stopped: Promise<void> | undefined;
  return {
    provider,
    tracer: provider.getTracer(KIT_TRACER_NAME),
    forceFlush: () => provider.forceFlush(),
    shutdown() {
      stopped ??= (async () => {
        removeLiveProvider(provider);
        await provider.shutdown();
      })();
      return stopped;
    },
  };
}
