/**
 * The two span pipelines under comparison, set up alike: the same resource,
 * parent-based sampling with a ratio for new traces, batches of up to 2048
 * spans sent after at most 1 s, a queue of 16 384, OTLP http/protobuf to the
 * same endpoint, and a synchronous context manager (spans get their parent
 * context explicitly, as on the gateway's path).
 *  - `kit`: the kit's own provider, as `createServiceTracing` builds it for a service;
 *  - `sdk`: the OpenTelemetry SDK's `TracerProvider` + `BatchSpanProcessor` +
 *    `@opentelemetry/exporter-trace-otlp-proto`;
 *  - `none`: the API with no provider (no-op spans): what the workload costs without tracing.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { context, trace, type Attributes, type Tracer } from '@opentelemetry/api';
import { createServiceTracing, keepTracingContextSynchronous, KIT_TRACER_NAME } from '@flotilla/telemetry';
import { SynchronousContextManager } from '../../packages/telemetry/src/tracing/sync-context.ts';

export const PIPELINES = ['none', 'kit', 'sdk'] as const;
export type PipelineName = (typeof PIPELINES)[number];

export interface Pipeline {
  readonly tracer: Tracer;
  /** Exports everything ended so far; resolves when the endpoint has answered. */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

export const BATCH = { maxQueueSize: 16_384, maxExportBatchSize: 2_048, delayMs: 1_000, exportTimeoutMs: 10_000 };

/** The resource the kit gives a service's spans; the SDK side is given the same. */
export function resourceAttributes(): Attributes {
  return {
    'service.name': 'users',
    'service.version': 'bench',
    'service.namespace': 'flotilla',
    'service.instance.id': randomUUID(),
    'deployment.environment.name': 'bench',
    'host.name': hostname(),
    'process.pid': process.pid,
    'process.runtime.name': 'nodejs',
    'process.runtime.version': process.versions.node,
    'telemetry.sdk.name': '@flotilla/kit',
    'telemetry.sdk.language': 'nodejs',
  };
}

async function kitPipeline(endpoint: string, sampleRatio: number): Promise<Pipeline> {
  keepTracingContextSynchronous();
  const tracing = await createServiceTracing(
    { enabled: true, endpoint, sampleRatio, headers: {}, exportTimeoutMs: BATCH.exportTimeoutMs, batchDelayMs: BATCH.delayMs },
    { service: 'users', version: 'bench', namespace: 'bench' },
  );
  return { tracer: tracing.tracer, flush: () => tracing.forceFlush(), shutdown: () => tracing.shutdown() };
}

async function sdkPipeline(endpoint: string, sampleRatio: number): Promise<Pipeline> {
  const [sdk, { OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/exporter-trace-otlp-proto'),
    import('@opentelemetry/resources'),
  ]);
  context.setGlobalContextManager(new SynchronousContextManager());
  const provider = new sdk.TracerProvider({
    resource: resourceFromAttributes(resourceAttributes()),
    sampler: new sdk.ParentBasedSampler({ root: new sdk.TraceIdRatioBasedSampler(sampleRatio) }),
    spanProcessors: [
      new sdk.BatchSpanProcessor({
        exporter: new OTLPTraceExporter({ url: endpoint, timeoutMillis: BATCH.exportTimeoutMs }),
        maxQueueSize: BATCH.maxQueueSize,
        maxExportBatchSize: BATCH.maxExportBatchSize,
        scheduledDelayMillis: BATCH.delayMs,
        exportTimeoutMillis: BATCH.exportTimeoutMs,
      }),
    ],
  });
  return { tracer: provider.getTracer(KIT_TRACER_NAME), flush: () => provider.forceFlush(), shutdown: () => provider.shutdown() };
}

export function startPipeline(name: PipelineName, endpoint: string, sampleRatio: number): Promise<Pipeline> {
  if (name === 'kit') return kitPipeline(endpoint, sampleRatio);
  if (name === 'sdk') return sdkPipeline(endpoint, sampleRatio);
  context.setGlobalContextManager(new SynchronousContextManager());
  return Promise.resolve({ tracer: trace.getTracer(KIT_TRACER_NAME), flush: async () => undefined, shutdown: async () => undefined });
}
