/**
 * `Tracer.startActiveSpan` in terms of the tracer's own `startSpan`: the
 * API's overloads `(name, fn)`, `(name, options, fn)` and
 * `(name, options, context, fn)`, with `fn` run while the new span is active.
 */
import { context as otelContext, trace, type Context, type Span, type SpanOptions, type Tracer } from '@opentelemetry/api';

export function startActiveSpanWith<F extends (span: Span) => unknown>(
  tracer: Pick<Tracer, 'startSpan'>,
  name: string,
  rest: unknown[],
): ReturnType<F> {
  const fn = rest[rest.length - 1] as F;
  const options = (rest.length >= 2 ? rest[0] : undefined) as SpanOptions | undefined;
  const parent = (rest.length >= 3 ? rest[1] : undefined) as Context | undefined;
  const context = parent ?? otelContext.active();
  const span = tracer.startSpan(name, options, context);
  return otelContext.with(trace.setSpan(context, span), fn as (span: Span) => ReturnType<F>, undefined, span);
}
