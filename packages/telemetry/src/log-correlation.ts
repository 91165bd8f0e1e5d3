/**
 * The pino `mixin` that stamps every log line written while serving a
 * request with the ECS correlation fields, read from the async context:
 *   trace.id, span.id        the active OpenTelemetry span (tracing on)
 *   transaction.id           the service's entry span for this request
 *   http.request.id          the kit's request id (HTTP and gRPC alike)
 * Dotted keys, as the ECS logging libraries write them. Fastify's request
 * loggers already bind `http.request.id`; it is not repeated for them.
 *
 * A line with nothing to stamp gets one shared, frozen empty object, which
 * `mergeCorrelation` (the `mixinMergeStrategy` to pair it with) recognises:
 * the line's own object is then used as it is instead of being copied into
 * the mixin's.
 */
import { context, trace, isSpanContextValid, type SpanContext } from '@opentelemetry/api';
import { symbols, type Logger } from 'pino';
import { currentContext } from '@flotilla/core';
import { serviceSpanScope } from './tracing/scope.ts';

const chindingsSym = symbols.chindingsSym;

/** What the mixin returns when a line has nothing to stamp (never written to). */
const NOTHING: Record<string, string> = Object.freeze({}) as Record<string, string>;

function activeSpanContext(): SpanContext | undefined {
  const spanContext = trace.getSpan(context.active())?.spanContext();
  return spanContext !== undefined && isSpanContextValid(spanContext) ? spanContext : undefined;
}

export function correlationMixin(_mergeObject: object, _level: number, logger: Logger): Record<string, string> {
  let fields = NOTHING;
  const active = context.active();
  const spanContext = trace.getSpan(active)?.spanContext();
  if (spanContext !== undefined && isSpanContextValid(spanContext)) {
    fields = { 'trace.id': spanContext.traceId, 'span.id': spanContext.spanId };
    const transactionId = serviceSpanScope(active)?.transactionId;
    if (transactionId !== undefined) fields['transaction.id'] = transactionId;
  }
  const requestId = currentContext()?.requestId;
  if (requestId !== undefined) {
    const bindings = (logger as unknown as Record<symbol, string | undefined>)[chindingsSym];
    if (bindings === undefined || !bindings.includes('"http.request.id"')) {
      if (fields === NOTHING) fields = {};
      fields['http.request.id'] = requestId;
    }
  }
  return fields;
}

/** pino's `mixinMergeStrategy` for `correlationMixin`: the line's fields win, as with pino's default; no copy when there is nothing to add. */
export function mergeCorrelation(mergeObject: object, mixinObject: object): object {
  return mixinObject === NOTHING ? mergeObject : Object.assign(mixinObject, mergeObject);
}

/**
 * The mixin's trace fields for a line written outside pino (the access line),
 * as JSON members (`,"trace.id":"…","span.id":"…","transaction.id":"…"`), or
 * '' without an active span. `http.request.id` is the caller's to write.
 */
export function activeCorrelationJson(): string {
  const spanContext = activeSpanContext();
  if (spanContext === undefined) return '';
  return correlationJson(spanContext.traceId, spanContext.spanId, serviceSpanScope(context.active())?.transactionId);
}

/** The trace fields as JSON members; ids are hex, so they need no escaping. */
export function correlationJson(traceId: string, spanId: string, transactionId: string | undefined): string {
  const ids = `,"trace.id":"${traceId}","span.id":"${spanId}"`;
  return transactionId === undefined ? ids : `${ids},"transaction.id":"${transactionId}"`;
}
