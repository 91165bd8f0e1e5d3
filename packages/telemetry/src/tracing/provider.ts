/**
 * One tracer provider per service: its resource (service.name, version,
 * namespace, instance), parent-based sampling with a ratio for new traces,
 * and batched OTLP http/protobuf export, all from the `tracing` config
 * section.
 *
 * The provider is the kit's own (tracer.ts, span.ts, span-batch.ts): spans
 * are encoded to OTLP protobuf as they end and sent in batches. It replaces
 * the OpenTelemetry SDK's tracer provider + BatchSpanProcessor + OTLP
 * exporter, which cost several times as much CPU per span
 * (bench/tracing/spans.ts, README.md here); instrumentations still speak
 * the OpenTelemetry API to it.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Tracer, TracerProvider } from '@opentelemetry/api';
import type { TracingSettings } from '../config.ts';
import type { ServiceIdentity } from '../metrics/runtime.ts';
import { addLiveProvider, installTracingGlobals, removeLiveProvider } from './global.ts';
import { encodeResourceField } from './otlp-encoding.ts';
import { otlpHttpSender } from './otlp-http.ts';
import { RecentSpans } from './recent-spans.ts';
import { SpanBatch } from './span-batch.ts';
import { KitTracerProvider } from './tracer.ts';

/** The instrumentation scope of the kit's own spans. */
export const KIT_TRACER_NAME = '@flotilla/kit';

/** A queue deep enough for a few seconds of a busy service's spans; big batches, few export requests. */
const MAX_QUEUE_SIZE = 16_384;
const MAX_EXPORT_BATCH_SIZE = 2_048;
const MAX_CONCURRENT_EXPORTS = 4;

export interface ServiceTracing {
  readonly provider: TracerProvider;
  readonly tracer: Tracer;
  /** The export requests sent lately, bounded in bytes: the admin endpoints read a trace's spans there. */
  readonly recent: RecentSpans;
  /** Exports what is buffered now (tests, and before exit). */
  forceFlush(): Promise<void>;
  /** Flushes and stops exporting. */
  shutdown(): Promise<void>;
}

/** @opentelemetry/core (the propagators, tracing suppression) is imported here, on demand: a service with tracing off never loads it. */
export async function createServiceTracing(settings: TracingSettings, identity: ServiceIdentity): Promise<ServiceTracing> {
  const [, { isTracingSuppressed }] = await Promise.all([installTracingGlobals(), import('@opentelemetry/core')]);
  const sender = otlpHttpSender({
    url: settings.endpoint,
    headers: { ...settings.headers },
    timeoutMs: settings.exportTimeoutMs,
    maxSockets: MAX_CONCURRENT_EXPORTS,
  });
  const resource = encodeResourceField({
    'service.name': identity.service,
    'service.version': identity.version,
    'service.namespace': 'flotilla',
    'service.instance.id': randomUUID(),
    'deployment.environment.name': identity.namespace,
    'host.name': hostname(),
    'process.pid': process.pid,
    'process.runtime.name': 'nodejs',
    'process.runtime.version': process.versions.node,
    'telemetry.sdk.name': '@flotilla/kit',
    'telemetry.sdk.language': 'nodejs',
  });
  const recent = new RecentSpans();
  // Every request sent is also held for the admin endpoints (bounded; the same bytes, no copy per span).
  const send = (body: Buffer): Promise<void> => {
    recent.add(body);
    return sender.send(body);
  };
  const batch = new SpanBatch(resource, send, {
    batchDelayMs: settings.batchDelayMs,
    maxQueueSize: MAX_QUEUE_SIZE,
    maxExportBatchSize: MAX_EXPORT_BATCH_SIZE,
    maxConcurrentExports: MAX_CONCURRENT_EXPORTS,
  });
  const provider = new KitTracerProvider({
    sampleRatio: settings.sampleRatio,
    batch,
    isSuppressed: isTracingSuppressed,
  });
  addLiveProvider(provider);
  let stopped: Promise<void> | undefined;
  return {
    provider,
    tracer: provider.getTracer(KIT_TRACER_NAME),
    recent,
    forceFlush: () => batch.forceFlush(),
    shutdown() {
      stopped ??= (async () => {
        removeLiveProvider(provider);
        await batch.shutdown();
        sender.close();
      })();
      return stopped;
    },
  };
}
