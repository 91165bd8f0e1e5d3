/**
 * One export request's encoding, alone: 512 recorded spans of the workload
 * (256 requests) turned into an OTLP ExportTraceServiceRequest body, by
 *  - `kit`: its span writer (`writeSpan` per span, as the batch does when
 *    spans end) and `encodeExportRequest`;
 *  - `sdk`: `ProtobufTraceSerializer` of @opentelemetry/otlp-transformer,
 *    what the OTLP proto exporter calls per batch.
 */
import type { Tracer } from '@opentelemetry/api';
import { KIT_TRACER_NAME } from '@flotilla/telemetry';
import {
  encodeExportRequest,
  encodeResourceField,
  encodeScopeField,
  writeSpan,
  type SpanRecord,
} from '../../packages/telemetry/src/tracing/otlp-encoding.ts';
import { ProtoWriter } from '../../packages/telemetry/src/tracing/proto-writer.ts';
import { SpanBatch, type ScopeQueue } from '../../packages/telemetry/src/tracing/span-batch.ts';
import { KitTracerProvider } from '../../packages/telemetry/src/tracing/tracer.ts';
import { BATCH, resourceAttributes } from './pipelines.ts';
import { SPANS_PER_REQUEST, tracedRequest } from './workload.ts';

export const SPANS_PER_BATCH = 512;

export interface BatchEncoder {
  /** Encodes the batch once; returns the body's size in bytes. */
  encode(): number;
}

/** Makes the batch's spans with `tracer`. */
function runBatchWorkload(tracer: Tracer): void {
  for (let n = 0; n < SPANS_PER_BATCH / SPANS_PER_REQUEST; n++) tracedRequest(tracer, n);
}

/** A kit batch that only keeps what its tracers hand it. */
class KeepingBatch extends SpanBatch {
  readonly kept: SpanRecord[] = [];

  override record(_queue: ScopeQueue, span: SpanRecord): void {
    this.kept.push(span);
  }
}

function kitEncoder(): BatchEncoder {
  const resource = encodeResourceField(resourceAttributes());
  const scopeField = encodeScopeField(KIT_TRACER_NAME, undefined);
  const batch = new KeepingBatch(resource, async () => undefined, {
    batchDelayMs: BATCH.delayMs,
    maxQueueSize: BATCH.maxQueueSize,
    maxExportBatchSize: BATCH.maxExportBatchSize,
    maxConcurrentExports: 1,
  });
  runBatchWorkload(new KitTracerProvider({ sampleRatio: 1, batch, isSuppressed: () => false }).getTracer(KIT_TRACER_NAME));
  const spans = batch.kept;
  if (spans.length !== SPANS_PER_BATCH) throw new Error(`recorded ${spans.length} spans, expected ${SPANS_PER_BATCH}`);
  const writer = new ProtoWriter();
  return {
    encode() {
      writer.reset();
      for (const span of spans) writeSpan(writer, span);
      return encodeExportRequest(resource, [{ scopeField, spans: writer.buf.subarray(0, writer.pos) }]).length;
    },
  };
}

async function sdkEncoder(): Promise<BatchEncoder> {
  const [sdk, { ProtobufTraceSerializer }, { resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/otlp-transformer'),
    import('@opentelemetry/resources'),
  ]);
  const exporter = new sdk.InMemorySpanExporter();
  const provider = new sdk.TracerProvider({
    resource: resourceFromAttributes(resourceAttributes()),
    spanProcessors: [new sdk.SimpleSpanProcessor({ exporter })],
  });
  runBatchWorkload(provider.getTracer(KIT_TRACER_NAME));
  const spans = exporter.getFinishedSpans();
  if (spans.length !== SPANS_PER_BATCH) throw new Error(`recorded ${spans.length} spans, expected ${SPANS_PER_BATCH}`);
  return {
    encode() {
      const body = ProtobufTraceSerializer.serializeRequest(spans);
      if (body === undefined) throw new Error('the SDK serialiser returned nothing');
      return body.length;
    },
  };
}

export function batchEncoder(name: 'kit' | 'sdk'): Promise<BatchEncoder> {
  return name === 'kit' ? Promise.resolve(kitEncoder()) : sdkEncoder();
}
