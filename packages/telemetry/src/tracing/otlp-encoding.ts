/**
 * OTLP trace protobuf (opentelemetry/proto/trace/v1/trace.proto, collector
 * ExportTraceServiceRequest) written straight from the kit's span records:
 * each span is encoded once, when it ends, into its scope's buffer; an export
 * request is then the resource, and per scope its encoded spans, put together.
 *
 * Field numbers used:
 *   ExportTraceServiceRequest  1 resource_spans
 *   ResourceSpans              1 resource, 2 scope_spans
 *   Resource                   1 attributes
 *   ScopeSpans                 1 scope, 2 spans
 *   InstrumentationScope       1 name, 2 version
 *   Span                       1 trace_id, 2 span_id, 3 trace_state, 4 parent_span_id, 5 name,
 *                              6 kind, 7 start_time_unix_nano, 8 end_time_unix_nano, 9 attributes,
 *                              10 dropped_attributes_count, 11 events, 12 dropped_events_count,
 *                              13 links, 14 dropped_links_count, 15 status, 16 flags
 *   Span.Event                 1 time_unix_nano, 2 name, 3 attributes, 4 dropped_attributes_count
 *   Span.Link                  1 trace_id, 2 span_id, 3 trace_state, 4 attributes, 5 dropped_attributes_count, 6 flags
 *   Status                     2 message, 3 code
 *   KeyValue                   1 key, 2 value
 *   AnyValue                   1 string, 2 bool, 3 int64, 4 double, 5 array (ArrayValue 1 values)
 */
import type { Attributes, AttributeValue, SpanContext, SpanKind, SpanStatus } from '@opentelemetry/api';
import { ProtoWriter, varintSize, WIRE_FIXED32, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT } from './proto-writer.ts';

export interface EventRecord {
  name: string;
  millis: number;
  attributes: Attributes | undefined;
  droppedAttributes: number;
}

export interface LinkRecord {
  context: SpanContext;
  attributes: Attributes | undefined;
  droppedAttributes: number;
}

/** What the encoder reads from an ended span. */
export interface SpanRecord {
  readonly name: string;
  readonly kind: SpanKind;
  readonly context: SpanContext;
  readonly parentSpanId: string | undefined;
  /** Whether the parent came from another process (its traceparent); undefined without a parent. */
  readonly parentIsRemote: boolean | undefined;
  readonly startMillis: number;
  readonly endMillis: number;
  /** The span's attributes as parallel arrays (keys unique). */
  readonly attributeKeys: readonly string[];
  readonly attributeValues: readonly AttributeValue[];
  readonly droppedAttributes: number;
  readonly events: readonly EventRecord[] | undefined;
  readonly droppedEvents: number;
  readonly links: readonly LinkRecord[] | undefined;
  readonly droppedLinks: number;
  readonly status: SpanStatus;
}

// Span.flags: the W3C trace flags, plus whether the parent was remote (bit 9) and that bit 9 is known (bit 8).
const FLAGS_HAS_IS_REMOTE = 0x100;
const FLAGS_IS_REMOTE = 0x200;

function flagsOf(traceFlags: number, remote: boolean | undefined): number {
  return (traceFlags & 0xff) | FLAGS_HAS_IS_REMOTE | (remote === true ? FLAGS_IS_REMOTE : 0);
}

function writeAnyValue(w: ProtoWriter, value: AttributeValue): void {
  switch (typeof value) {
    case 'string':
      w.tag(1, WIRE_LEN);
      w.string(value);
      return;
    case 'boolean':
      w.tag(2, WIRE_VARINT);
      w.varint(value ? 1 : 0);
      return;
    case 'number':
      if (Number.isSafeInteger(value)) {
        w.tag(3, WIRE_VARINT);
        w.int64(value);
      } else {
        w.tag(4, WIRE_FIXED64);
        w.double(value);
      }
      return;
    default:
      if (!Array.isArray(value)) return;
      w.tag(5, WIRE_LEN);
      {
        const array = w.begin();
        for (const item of value) {
          w.tag(1, WIRE_LEN);
          const element = w.begin();
          // A null or undefined element stays an empty AnyValue, keeping the positions.
          if (item !== null && item !== undefined) writeAnyValue(w, item);
          w.end(element);
        }
        w.end(array);
      }
  }
}

function writeKeyValue(w: ProtoWriter, field: number, key: string, value: AttributeValue): void {
  w.tag(field, WIRE_LEN);
  const pair = w.begin();
  w.tag(1, WIRE_LEN);
  w.string(key);
  w.tag(2, WIRE_LEN);
  const any = w.begin();
  writeAnyValue(w, value);
  w.end(any);
  w.end(pair);
}

/**
 * Span attributes repeat: most keys carry the same value span after span
 * (`http.request.method=GET`, `http.route`, `server.address`, …). So each
 * key remembers its last value's encoding (Span.attributes entry, tag
 * included) and copies it when the value is the same again. A key whose
 * value keeps changing (`url.path`) stops being remembered after a few
 * misses, apart from a fresh try every 256th. Process-wide, for at most
 * MAX_REMEMBERED_KEYS keys.
 */
interface RememberedAttribute {
  value: AttributeValue | undefined;
  bytes: Uint8Array | undefined;
  misses: number;
}

const MAX_REMEMBERED_KEYS = 256;
const VOLATILE_AFTER_MISSES = 4;
const remembered = new Map<string, RememberedAttribute>();

function writeSpanAttribute(w: ProtoWriter, key: string, value: AttributeValue): void {
  let entry = remembered.get(key);
  if (entry === undefined) {
    if (remembered.size >= MAX_REMEMBERED_KEYS) {
      writeKeyValue(w, 9, key, value);
      return;
    }
    entry = { value: undefined, bytes: undefined, misses: 0 };
    remembered.set(key, entry);
  }
  if (entry.bytes !== undefined && entry.value === value) {
    entry.misses = 0;
    w.raw(entry.bytes);
    return;
  }
  const start = w.pos;
  writeKeyValue(w, 9, key, value);
  // Arrays would only match themselves; a volatile key is not worth a copy per span.
  if (typeof value === 'object' || (++entry.misses > VOLATILE_AFTER_MISSES && entry.misses % 256 !== 0)) return;
  entry.value = value;
  entry.bytes = new Uint8Array(w.buf.subarray(start, w.pos));
}

/** `attributes` as repeated KeyValue in `field`. */
export function writeAttributes(w: ProtoWriter, field: number, attributes: Attributes): void {
  for (const key in attributes) {
    const value = attributes[key];
    if (value !== undefined) writeKeyValue(w, field, key, value);
  }
}

function writeEvent(w: ProtoWriter, event: EventRecord): void {
  w.tag(11, WIRE_LEN);
  const mark = w.begin();
  w.tag(1, WIRE_FIXED64);
  w.fixed64NanosFromMillis(event.millis);
  w.tag(2, WIRE_LEN);
  w.string(event.name);
  if (event.attributes !== undefined) writeAttributes(w, 3, event.attributes);
  if (event.droppedAttributes > 0) {
    w.tag(4, WIRE_VARINT);
    w.varint(event.droppedAttributes);
  }
  w.end(mark);
}

function writeLink(w: ProtoWriter, link: LinkRecord): void {
  w.tag(13, WIRE_LEN);
  const mark = w.begin();
  w.tag(1, WIRE_LEN);
  w.hexBytes(link.context.traceId);
  w.tag(2, WIRE_LEN);
  w.hexBytes(link.context.spanId);
  const traceState = link.context.traceState?.serialize();
  if (traceState) {
    w.tag(3, WIRE_LEN);
    w.string(traceState);
  }
  if (link.attributes !== undefined) writeAttributes(w, 4, link.attributes);
  if (link.droppedAttributes > 0) {
    w.tag(5, WIRE_VARINT);
    w.varint(link.droppedAttributes);
  }
  w.tag(6, WIRE_FIXED32);
  w.fixed32(flagsOf(link.context.traceFlags, link.context.isRemote));
  w.end(mark);
}

/** Appends `span` as ScopeSpans.spans (field 2) to `w`. */
export function writeSpan(w: ProtoWriter, span: SpanRecord): void {
  w.tag(2, WIRE_LEN);
  // Spans are usually 128 bytes to 16 KiB long: two length bytes, so the body rarely moves.
  const mark = w.begin2();
  const context = span.context;
  w.tag(1, WIRE_LEN);
  w.hexBytes(context.traceId);
  w.tag(2, WIRE_LEN);
  w.hexBytes(context.spanId);
  const traceState = context.traceState?.serialize();
  if (traceState) {
    w.tag(3, WIRE_LEN);
    w.string(traceState);
  }
  if (span.parentSpanId !== undefined) {
    w.tag(4, WIRE_LEN);
    w.hexBytes(span.parentSpanId);
  }
  w.tag(5, WIRE_LEN);
  w.string(span.name);
  // The API's kinds start at INTERNAL = 0; the protocol's at UNSPECIFIED = 0.
  w.tag(6, WIRE_VARINT);
  w.varint(span.kind + 1);
  w.tag(7, WIRE_FIXED64);
  w.fixed64NanosFromMillis(span.startMillis);
  w.tag(8, WIRE_FIXED64);
  w.fixed64NanosFromMillis(span.endMillis);
  const keys = span.attributeKeys;
  const values = span.attributeValues;
  for (let i = 0; i < keys.length; i++) writeSpanAttribute(w, keys[i] as string, values[i] as AttributeValue);
  if (span.droppedAttributes > 0) {
    w.tag(10, WIRE_VARINT);
    w.varint(span.droppedAttributes);
  }
  if (span.events !== undefined) for (const event of span.events) writeEvent(w, event);
  if (span.droppedEvents > 0) {
    w.tag(12, WIRE_VARINT);
    w.varint(span.droppedEvents);
  }
  if (span.links !== undefined) for (const link of span.links) writeLink(w, link);
  if (span.droppedLinks > 0) {
    w.tag(14, WIRE_VARINT);
    w.varint(span.droppedLinks);
  }
  w.tag(15, WIRE_LEN);
  const status = w.begin();
  if (span.status.message !== undefined && span.status.message !== '') {
    w.tag(2, WIRE_LEN);
    w.string(span.status.message);
  }
  w.tag(3, WIRE_VARINT);
  w.varint(span.status.code);
  w.end(status);
  w.tag(16, WIRE_FIXED32);
  w.fixed32(flagsOf(context.traceFlags, span.parentIsRemote));
  w.end2(mark);
}

/** ResourceSpans.resource (field 1, tag included): a service's resource attributes, encoded once. */
export function encodeResourceField(attributes: Attributes): Buffer {
  const w = new ProtoWriter(1024);
  w.tag(1, WIRE_LEN);
  const mark = w.begin();
  writeAttributes(w, 1, attributes);
  w.end(mark);
  return w.bytes();
}

/** ScopeSpans.scope (field 1, tag included): an instrumentation scope, encoded once per tracer. */
export function encodeScopeField(name: string, version: string | undefined): Buffer {
  const w = new ProtoWriter(256);
  w.tag(1, WIRE_LEN);
  const mark = w.begin();
  w.tag(1, WIRE_LEN);
  w.string(name);
  if (version !== undefined && version !== '') {
    w.tag(2, WIRE_LEN);
    w.string(version);
  }
  w.end(mark);
  return w.bytes();
}

/** A scope's encoded spans, as writeSpan left them. */
export interface EncodedScope {
  scopeField: Buffer;
  spans: Uint8Array;
}

/** An ExportTraceServiceRequest with one ResourceSpans: the resource and each scope's spans. */
export function encodeExportRequest(resourceField: Buffer, scopes: readonly EncodedScope[]): Buffer {
  let resourceSpansLength = resourceField.length;
  for (const scope of scopes) {
    const length = scope.scopeField.length + scope.spans.length;
    resourceSpansLength += 1 + varintSize(length) + length;
  }
  // Sized to fit (plus the writer's per-call margin), so it never grows.
  const w = new ProtoWriter(16 + varintSize(resourceSpansLength) + resourceSpansLength);
  w.tag(1, WIRE_LEN);
  w.varint(resourceSpansLength);
  w.raw(resourceField);
  for (const scope of scopes) {
    w.tag(2, WIRE_LEN);
    w.varint(scope.scopeField.length + scope.spans.length);
    w.raw(scope.scopeField);
    w.raw(scope.spans);
  }
  return w.buf.subarray(0, w.pos);
}
