/** What `flotilla traces` shows of a trace: a summary line per trace, and one trace as a waterfall. */
import type { OtlpSpan } from '@flotilla/telemetry';

export interface TraceSummary {
  traceId: string;
  /** The root span (the first to start when the root is missing), e.g. "gateway GET /api/users". */
  root: string;
  /** Start of the earliest span, epoch milliseconds. */
  startMs: number;
  durationMs: number;
  spans: number;
  services: string[];
  /** Some span ended with status error. */
  error: boolean;
}

export interface WaterfallSpan {
  spanId: string;
  parentSpanId: string;
  service: string;
  name: string;
  /** internal, server, client, producer, consumer. */
  kind: string;
  /** How deep in the tree (0: the root). */
  depth: number;
  /** From the trace's start. */
  offsetMs: number;
  durationMs: number;
  error: boolean;
  attributes: Record<string, string | number | boolean | undefined>;
}

export interface Waterfall {
  traceId: string;
  durationMs: number;
  spans: WaterfallSpan[];
}

const KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
const NS_PER_MS = 1_000_000;

export function summarise(traceId: string, spans: OtlpSpan[]): TraceSummary {
  const { start, end } = extent(spans);
  const ids = new Set(spans.map((s) => s.spanId));
  const root = spans.find((s) => s.parentSpanId === '' || !ids.has(s.parentSpanId)) ?? spans[0];
  return {
    traceId,
    root: root === undefined ? '' : `${root.service} ${root.name}`,
    startMs: Number(start / BigInt(NS_PER_MS)),
    durationMs: Number(end - start) / NS_PER_MS,
    spans: spans.length,
    services: [...new Set(spans.map((s) => s.service))].sort(),
    error: spans.some((s) => s.statusCode === 2),
  };
}

/** Spans in tree order (each after its parent, siblings by start), with their depth and offsets. */
export function toWaterfall(traceId: string, spans: OtlpSpan[]): Waterfall {
  const { start, end } = extent(spans);
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string, OtlpSpan[]>();
  for (const s of spans) {
    const parent = ids.has(s.parentSpanId) ? s.parentSpanId : '';
    children.set(parent, [...(children.get(parent) ?? []), s]);
  }
  const ordered: WaterfallSpan[] = [];
  const visit = (parent: string, depth: number): void => {
    for (const child of [...(children.get(parent) ?? [])].sort((a, b) => (a.startNs < b.startNs ? -1 : 1))) {
      ordered.push({
        spanId: child.spanId,
        parentSpanId: child.parentSpanId,
        service: child.service,
        name: child.name,
        kind: KINDS[child.kind] ?? String(child.kind),
        depth,
        offsetMs: Number(child.startNs - start) / NS_PER_MS,
        durationMs: Number(child.endNs - child.startNs) / NS_PER_MS,
        error: child.statusCode === 2,
        attributes: child.attributes,
      });
      visit(child.spanId, depth + 1);
    }
  };
  visit('', 0);
  return { traceId, durationMs: Number(end - start) / NS_PER_MS, spans: ordered };
}

/** The earliest start and latest end of the spans (bigint nanoseconds: Math.min/max take numbers only). */
function extent(spans: OtlpSpan[]): { start: bigint; end: bigint } {
  let start = spans[0]?.startNs ?? 0n;
  let end = spans[0]?.endNs ?? 0n;
  for (const s of spans) {
    if (s.startNs < start) start = s.startNs;
    if (s.endNs > end) end = s.endNs;
  }
  return { start, end };
}
