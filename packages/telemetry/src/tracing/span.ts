/**
 * A recorded (sampled) span: the OpenTelemetry API's `Span`, kept as plain
 * fields (attributes as two parallel arrays) and handed to its tracer's sink
 * when it ends; the sink (span-batch.ts) encodes it to OTLP protobuf within
 * the next few hundred spans, so span objects die young instead of waiting
 * for the next export.
 *
 * Limits as the OpenTelemetry SDK's defaults: 128 attributes, 128 events
 * (128 attributes each) and 128 links per span; values are kept whole.
 */
import {
  diag,
  SpanStatusCode,
  type Attributes,
  type AttributeValue,
  type Exception,
  type Link,
  type Span,
  type SpanContext,
  type SpanKind,
  type SpanStatus,
  type TimeInput,
} from '@opentelemetry/api';
import type { EventRecord, LinkRecord, SpanRecord } from './otlp-encoding.ts';

const ATTRIBUTE_LIMIT = 128;
const EVENT_LIMIT = 128;
const LINK_LIMIT = 128;

/** Where an ended span goes (its tracer's scope in the service's batch). */
export interface SpanSink {
  record(span: SpanRecord): void;
}

/** Constant for the process (the getter is not free). */
const TIME_ORIGIN = performance.timeOrigin;

/**
 * Epoch milliseconds (fractional) of an API time input; now when undefined.
 * As in the OpenTelemetry SDK, a number below the time origin is a
 * `performance.now()` reading.
 */
export function toEpochMillis(time: TimeInput | undefined): number {
  if (time === undefined) return TIME_ORIGIN + performance.now();
  if (typeof time === 'number') return time < TIME_ORIGIN ? TIME_ORIGIN + time : time;
  if (time instanceof Date) return time.getTime();
  return time[0] * 1000 + time[1] / 1e6;
}

function isTimeInput(value: unknown): value is TimeInput {
  return typeof value === 'number' || value instanceof Date || (Array.isArray(value) && value.length === 2 && typeof value[0] === 'number');
}

function isPrimitive(value: unknown): boolean {
  const type = typeof value;
  return type === 'string' || type === 'number' || type === 'boolean';
}

/** A valid attribute value: a primitive, or an array of one primitive type (null/undefined elements allowed). */
export function isAttributeValue(value: unknown): value is AttributeValue {
  if (isPrimitive(value)) return true;
  if (!Array.isArray(value)) return false;
  let type: string | undefined;
  for (const item of value) {
    if (item === null || item === undefined) continue;
    if (!isPrimitive(item)) return false;
    const itemType = typeof item;
    if (type === undefined) type = itemType;
    else if (type !== itemType) return false;
  }
  return true;
}

/** Copies valid attributes into `target` up to `limit` keys; returns how many were dropped for the limit. */
function addAttributes(
  target: Attributes,
  count: number,
  attributes: Attributes | undefined,
  limit: number,
): { count: number; dropped: number } {
  let dropped = 0;
  if (attributes === undefined) return { count, dropped };
  for (const key in attributes) {
    const value = attributes[key];
    if (key === '' || value === undefined || value === null || !isAttributeValue(value)) continue;
    if (!(key in target)) {
      if (count >= limit) {
        dropped++;
        continue;
      }
      count++;
    }
    target[key] = value;
  }
  return { count, dropped };
}

/** Shared by every span until it gets a status of its own. */
const UNSET: SpanStatus = Object.freeze({ code: SpanStatusCode.UNSET });

export class RecordedSpan implements Span, SpanRecord {
  private readonly sink: SpanSink;
  public name: string;
  readonly kind: SpanKind;
  readonly context: SpanContext;
  readonly parentSpanId: string | undefined;
  readonly parentIsRemote: boolean | undefined;
  readonly startMillis: number;
  // Parallel arrays rather than an object: cheaper to fill and to walk, and a span has a handful.
  readonly attributeKeys: string[] = [];
  readonly attributeValues: AttributeValue[] = [];
  droppedAttributes = 0;
  events: EventRecord[] | undefined = undefined;
  droppedEvents = 0;
  links: LinkRecord[] | undefined = undefined;
  droppedLinks = 0;
  status: SpanStatus = UNSET;
  endMillis = 0;
  private ended = false;

  constructor(
    sink: SpanSink,
    name: string,
    kind: SpanKind,
    context: SpanContext,
    parentSpanId: string | undefined,
    parentIsRemote: boolean | undefined,
    startMillis: number,
  ) {
    this.sink = sink;
    this.name = name;
    this.kind = kind;
    this.context = context;
    this.parentSpanId = parentSpanId;
    this.parentIsRemote = parentIsRemote;
    this.startMillis = startMillis;
  }

  spanContext(): SpanContext {
    return this.context;
  }

  setAttribute(key: string, value: AttributeValue): this {
    if (this.ended || key === '' || value === undefined || value === null) return this;
    if (!isAttributeValue(value)) {
      diag.warn(`Invalid attribute value set for key: ${key}`);
      return this;
    }
    const keys = this.attributeKeys;
    const at = keys.indexOf(key);
    if (at >= 0) this.attributeValues[at] = value;
    else if (keys.length >= ATTRIBUTE_LIMIT) this.droppedAttributes++;
    else {
      keys.push(key);
      this.attributeValues.push(value);
    }
    return this;
  }

  setAttributes(attributes: Attributes): this {
    if (this.ended) return this;
    for (const key in attributes) this.setAttribute(key, attributes[key] as AttributeValue);
    return this;
  }

  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    if (this.ended) return this;
    let attributes: Attributes | undefined;
    if (isTimeInput(attributesOrTime)) time = attributesOrTime;
    else attributes = attributesOrTime;
    this.events ??= [];
    if (this.events.length >= EVENT_LIMIT) {
      this.droppedEvents++;
      this.events.shift();
    }
    let kept: Attributes | undefined;
    let dropped = 0;
    if (attributes !== undefined) {
      kept = {};
      dropped = addAttributes(kept, 0, attributes, ATTRIBUTE_LIMIT).dropped;
    }
    this.events.push({ name, millis: toEpochMillis(time), attributes: kept, droppedAttributes: dropped });
    return this;
  }

  addLink(link: Link): this {
    if (this.ended) return this;
    this.links ??= [];
    if (this.links.length >= LINK_LIMIT) {
      this.droppedLinks++;
      return this;
    }
    let kept: Attributes | undefined;
    let dropped = link.droppedAttributesCount ?? 0;
    if (link.attributes !== undefined) {
      kept = {};
      dropped += addAttributes(kept, 0, link.attributes, ATTRIBUTE_LIMIT).dropped;
    }
    this.links.push({ context: link.context, attributes: kept, droppedAttributes: dropped });
    return this;
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }

  /** UNSET changes nothing; OK is final; a message is kept only with ERROR. */
  setStatus(status: SpanStatus): this {
    if (this.ended || status.code === SpanStatusCode.UNSET || this.status.code === SpanStatusCode.OK) return this;
    this.status =
      status.code === SpanStatusCode.ERROR && typeof status.message === 'string'
        ? { code: status.code, message: status.message }
        : { code: status.code };
    return this;
  }

  updateName(name: string): this {
    if (!this.ended) this.name = name;
    return this;
  }

  end(endTime?: TimeInput): void {
    if (this.ended) {
      diag.warn(`${this.name} ${this.context.traceId}-${this.context.spanId}: end() called on an ended span`);
      return;
    }
    this.ended = true;
    // A span that would end before it started lasts zero.
    this.endMillis = Math.max(this.startMillis, toEpochMillis(endTime));
    this.sink.record(this);
  }

  isRecording(): boolean {
    return !this.ended;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === 'string') {
      attributes['exception.message'] = exception;
    } else if (exception !== null && exception !== undefined) {
      if (exception.code !== undefined) attributes['exception.type'] = String(exception.code);
      else if (exception.name !== undefined) attributes['exception.type'] = exception.name;
      if (exception.message !== undefined) attributes['exception.message'] = exception.message;
      if (exception.stack !== undefined) attributes['exception.stacktrace'] = exception.stack;
    }
    if (attributes['exception.type'] === undefined && attributes['exception.message'] === undefined) {
      diag.warn(`Failed to record an exception ${String(exception)}`);
      return;
    }
    this.addEvent('exception', attributes, time);
  }
}
