/**
 * The kit's tracer provider: the OpenTelemetry API's `TracerProvider` and
 * `Tracer`, made for the kit's needs and its hot paths. Sampling is
 * parent-based (a valid parent's sampled flag is followed, local or remote)
 * with a ratio for new traces; sampled spans are `RecordedSpan`s that encode
 * themselves into the service's batch when they end, the others the API's
 * non-recording spans. Ids come from a pool of crypto-random bytes.
 */
import { randomFillSync } from 'node:crypto';
import {
  context as otelContext,
  SpanKind,
  trace,
  TraceFlags,
  type Context,
  type Span,
  type SpanOptions,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { startActiveSpanWith } from './active-span.ts';
import { encodeScopeField, type SpanRecord } from './otlp-encoding.ts';
import { isValidSpanContext } from './propagator.ts';
import { RecordedSpan, toEpochMillis, type SpanSink } from './span.ts';
import type { ScopeQueue, SpanBatch } from './span-batch.ts';

const POOL_SIZE = 8 * 1024;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let poolAt = POOL_SIZE;
const HEX_DIGIT = new Uint8Array([...'0123456789abcdef'].map((digit) => digit.charCodeAt(0)));

/** 8 random bytes as 16 lowercase hex digits (one flat string, cheaper than Buffer#toString('hex')). */
function randomHex8(): string {
  if (poolAt + 8 > POOL_SIZE) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const p = pool;
  const h = HEX_DIGIT;
  const a = poolAt;
  poolAt += 8;
  const b0 = p[a] as number,
    b1 = p[a + 1] as number,
    b2 = p[a + 2] as number,
    b3 = p[a + 3] as number;
  const b4 = p[a + 4] as number,
    b5 = p[a + 5] as number,
    b6 = p[a + 6] as number,
    b7 = p[a + 7] as number;
  return String.fromCharCode(
    h[b0 >> 4] as number,
    h[b0 & 15] as number,
    h[b1 >> 4] as number,
    h[b1 & 15] as number,
    h[b2 >> 4] as number,
    h[b2 & 15] as number,
    h[b3 >> 4] as number,
    h[b3 & 15] as number,
    h[b4 >> 4] as number,
    h[b4 & 15] as number,
    h[b5 >> 4] as number,
    h[b5 & 15] as number,
    h[b6 >> 4] as number,
    h[b6 & 15] as number,
    h[b7 >> 4] as number,
    h[b7 & 15] as number,
  );
}

const ZERO_8 = '0000000000000000';

/** A span id: never all zeros (the invalid id). */
export function newSpanId(): string {
  for (;;) {
    const id = randomHex8();
    if (id !== ZERO_8) return id;
  }
}

/** A trace id: never all zeros. */
export function newTraceId(): string {
  for (;;) {
    const high = randomHex8();
    const low = randomHex8();
    if (high !== ZERO_8 || low !== ZERO_8) return high + low;
  }
}

/** Whether a new trace with this id is sampled at `ratio`: the id's last 32 bits against the ratio (the id's random part decides). */
export function sampledAtRatio(traceId: string, ratio: number): boolean {
  if (ratio >= 1) return true;
  if (ratio <= 0) return false;
  return Number.parseInt(traceId.slice(24), 16) < ratio * 0x1_0000_0000;
}

export interface KitTracerOptions {
  sampleRatio: number;
  batch: SpanBatch;
  /** `isTracingSuppressed` of @opentelemetry/core: exporters and the like mark their own work so. */
  isSuppressed(context: Context): boolean;
}

export class KitTracer implements Tracer, SpanSink {
  private readonly options: KitTracerOptions;
  private readonly scope: ScopeQueue;

  constructor(options: KitTracerOptions, name: string, version: string | undefined) {
    this.options = options;
    this.scope = options.batch.scope(encodeScopeField(name, version));
  }

  record(span: SpanRecord): void {
    this.options.batch.record(this.scope, span);
  }

  startSpan(name: string, options: SpanOptions = {}, context: Context = otelContext.active()): Span {
    const parentSpan = options.root === true ? undefined : trace.getSpan(context);
    const parent = parentSpan?.spanContext();
    // The kit's own spans have valid ids by construction; others (e.g. extracted) are checked.
    const hasParent = parent !== undefined && (parentSpan instanceof RecordedSpan || isValidSpanContext(parent));
    const traceId = hasParent ? parent.traceId : newTraceId();
    const spanId = newSpanId();
    const sampled =
      !this.options.isSuppressed(context) &&
      (hasParent ? (parent.traceFlags & TraceFlags.SAMPLED) !== 0 : sampledAtRatio(traceId, this.options.sampleRatio));
    const traceState = hasParent ? parent.traceState : undefined;
    if (!sampled)
      return trace.wrapSpanContext(
        traceState === undefined
          ? { traceId, spanId, traceFlags: TraceFlags.NONE }
          : { traceId, spanId, traceFlags: TraceFlags.NONE, traceState },
      );
    const spanContext =
      traceState === undefined
        ? { traceId, spanId, traceFlags: TraceFlags.SAMPLED }
        : { traceId, spanId, traceFlags: TraceFlags.SAMPLED, traceState };
    const span = new RecordedSpan(
      this,
      name,
      options.kind ?? SpanKind.INTERNAL,
      spanContext,
      hasParent ? parent.spanId : undefined,
      hasParent ? parent.isRemote === true : undefined,
      toEpochMillis(options.startTime),
    );
    if (options.attributes !== undefined) span.setAttributes(options.attributes);
    if (options.links !== undefined) span.addLinks(options.links);
    return span;
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...rest: unknown[]): ReturnType<F> {
    return startActiveSpanWith<F>(this, name, rest);
  }
}

/** One service's provider: a tracer per instrumentation scope, all feeding the service's batch. */
export class KitTracerProvider implements TracerProvider {
  private readonly options: KitTracerOptions;
  private readonly tracers = new Map<string, Map<string | undefined, KitTracer>>();

  constructor(options: KitTracerOptions) {
    this.options = options;
  }

  getTracer(name: string, version?: string): KitTracer {
    let byVersion = this.tracers.get(name);
    if (byVersion === undefined) {
      byVersion = new Map();
      this.tracers.set(name, byVersion);
    }
    let tracer = byVersion.get(version);
    if (tracer === undefined) {
      tracer = new KitTracer(this.options, name, version);
      byVersion.set(version, tracer);
    }
    return tracer;
  }
}
