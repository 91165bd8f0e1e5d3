/**
 * The spans this process exported lately, for its admin endpoints (the
 * gateway's console shows a trace across the services without a tracing
 * backend). What is kept is the export requests themselves, exactly as they
 * were encoded for OTLP: nothing more is done per span, and bytes held in a
 * few buffers cost the garbage collector nothing, where span objects kept
 * alive would be promoted and swept. The oldest requests are dropped past
 * `maxBytes`. Reading decodes them on demand; an index of which traces each
 * request holds is built on first read and kept with it.
 */
import { decodeTraceExport, type OtlpSpan } from './otlp-decoding.ts';

/** 4 MiB: about ten thousand spans of a typical service. */
export const RECENT_SPANS_MAX_BYTES = 4 * 1024 * 1024;

export type RecentSpanKind = 'internal' | 'server' | 'client' | 'producer' | 'consumer';
export type RecentSpanStatus = 'unset' | 'ok' | 'error';

/** One span, as admin endpoints show it. */
export interface RecentSpan {
  traceId: string;
  spanId: string;
  /** null for a trace's root span. */
  parentSpanId: string | null;
  name: string;
  /** `service.name` of the process that made it. */
  service: string;
  kind: RecentSpanKind;
  /** Epoch milliseconds (fractional). */
  start: number;
  durationMs: number;
  attributes: Record<string, string | number | boolean>;
  status: RecentSpanStatus;
}

/** What this process holds of one trace. */
export interface RecentTrace {
  traceId: string;
  /** The root span's name, else the name of this process's earliest span of it. */
  name: string;
  start: number;
  durationMs: number;
  spanCount: number;
  /** Whether any of its spans has status ERROR. */
  error: boolean;
}

interface TraceExtent {
  start: number;
  end: number;
  name: string;
  rooted: boolean;
  count: number;
  error: boolean;
}

interface HeldExport {
  readonly body: Uint8Array;
  /** The traces this request holds; built on first read. */
  index: Map<string, TraceExtent> | undefined;
}

const KINDS: readonly RecentSpanKind[] = ['internal', 'internal', 'server', 'client', 'producer', 'consumer'];
const STATUSES: readonly RecentSpanStatus[] = ['unset', 'ok', 'error'];

const millis = (nanos: bigint): number => Number(nanos) / 1e6;

export class RecentSpans {
  readonly maxBytes: number;
  readonly #held: HeldExport[] = [];
  #bytes = 0;

  constructor(maxBytes = RECENT_SPANS_MAX_BYTES) {
    this.maxBytes = maxBytes;
  }

  /** Bytes held now. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Keeps one encoded ExportTraceServiceRequest; never modified afterwards. */
  add(body: Uint8Array): void {
    // A small request may be a view of a larger shared buffer: hold a copy of its own size instead of the whole buffer.
    const own = body.buffer.byteLength > 2 * body.byteLength ? new Uint8Array(body) : body;
    this.#held.push({ body: own, index: undefined });
    this.#bytes += own.byteLength;
    while (this.#bytes > this.maxBytes && this.#held.length > 1) this.#bytes -= (this.#held.shift() as HeldExport).body.byteLength;
  }

  /** The spans of `traceId` this process holds, earliest first. */
  trace(traceId: string): RecentSpan[] {
    const spans: RecentSpan[] = [];
    for (const held of this.#held) {
      if (!indexOf(held).has(traceId)) continue;
      for (const span of decodeTraceExport(held.body)) if (span.traceId === traceId) spans.push(view(span));
    }
    return spans.sort((a, b) => a.start - b.start);
  }

  /** The traces held, newest first, at most `limit`. */
  traces(limit = 100): RecentTrace[] {
    const merged = new Map<string, TraceExtent>();
    for (const held of this.#held) {
      for (const [traceId, extent] of indexOf(held)) {
        const known = merged.get(traceId);
        if (known === undefined) merged.set(traceId, { ...extent });
        else merge(known, extent);
      }
    }
    return [...merged]
      .sort(([, a], [, b]) => b.start - a.start)
      .slice(0, Math.max(0, limit))
      .map(([traceId, t]) => ({
        traceId,
        name: t.name,
        start: t.start,
        durationMs: t.end - t.start,
        spanCount: t.count,
        error: t.error,
      }));
  }
}

function indexOf(held: HeldExport): Map<string, TraceExtent> {
  if (held.index !== undefined) return held.index;
  const index = new Map<string, TraceExtent>();
  for (const span of decodeTraceExport(held.body)) {
    const extent: TraceExtent = {
      start: millis(span.startNs),
      end: millis(span.endNs),
      name: span.name,
      rooted: span.parentSpanId === '',
      count: 1,
      error: span.statusCode === 2,
    };
    const known = index.get(span.traceId);
    if (known === undefined) index.set(span.traceId, extent);
    else merge(known, extent);
  }
  held.index = index;
  return index;
}

/** Folds `other` into `into`: the widest extent, and the root's name (else the earliest span's). */
function merge(into: TraceExtent, other: TraceExtent): void {
  if (other.rooted ? !into.rooted || other.start < into.start : !into.rooted && other.start < into.start) {
    into.name = other.name;
    into.rooted = other.rooted;
  }
  into.start = Math.min(into.start, other.start);
  into.end = Math.max(into.end, other.end);
  into.count += other.count;
  into.error ||= other.error;
}

function view(span: OtlpSpan): RecentSpan {
  const attributes: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(span.attributes)) if (value !== undefined) attributes[key] = value;
  const start = millis(span.startNs);
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId === '' ? null : span.parentSpanId,
    name: span.name,
    service: span.service,
    kind: KINDS[span.kind] ?? 'internal',
    start,
    durationMs: Number(span.endNs - span.startNs) / 1e6,
    attributes,
    status: STATUSES[span.statusCode] ?? 'unset',
  };
}
