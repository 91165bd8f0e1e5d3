/**
 * The pino `mixin` that stamps every log line written while serving a
 * request with the ECS correlation fields, read from the async context:
 *   trace.id, span.id        the active OpenTelemetry span (tracing on)
 *   transaction.id           the service's entry span for this request
 *   http.request.id          the kit's request id (HTTP and gRPC alike)
 * Dotted keys, as the ECS logging libraries write them. Fastify's request
 * loggers already bind `http.request.id`; it is not repeated for them.
 */
import { context, trace, isSpanContextValid } from '@opentelemetry/api';
import { symbols, type Logger } from 'pino';
import { currentContext } from '@flotilla/core';
import { serviceSpanScope } from './tracing/scope.ts';

const chindingsSym = symbols.chindingsSym;

export function correlationMixin(_mergeObject: object, _level: number, logger: Logger): Record<string, string> {
  const fields: Record<string, string> = {};
  const active = context.active();
  const spanContext = trace.getSpan(active)?.spanContext();
  if (spanContext !== undefined && isSpanContextValid(spanContext)) {
    fields['trace.id'] = spanContext.traceId;
    fields['span.id'] = spanContext.spanId;
    const transactionId = serviceSpanScope(active)?.transactionId;
    if (transactionId !== undefined) fields['transaction.id'] = transactionId;
  }
  const requestId = currentContext()?.requestId;
  if (requestId !== undefined) {
    const bindings = (logger as unknown as Record<symbol, string | undefined>)[chindingsSym];
    if (bindings === undefined || !bindings.includes('"http.request.id"')) fields['http.request.id'] = requestId;
  }
  return fields;
}
