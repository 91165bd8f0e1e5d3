/**
 * What the kit keeps in the OpenTelemetry context besides the span: the
 * service whose request is running (its tracer, so spans made anywhere in
 * that request carry that service's resource even when several services
 * share a process) and the id of its local root span — ECS `transaction.id`.
 */
import { createContextKey, type Context, type Tracer, type TracerProvider } from '@opentelemetry/api';

export interface ServiceSpanScope {
  readonly service: string;
  readonly provider: TracerProvider;
  /** The kit's tracer from that provider. */
  readonly tracer: Tracer;
  /** Span id of the request's entry span in this service. */
  readonly transactionId: string;
}

export const SERVICE_SPAN_SCOPE = createContextKey('flotilla.service-span-scope');

export function serviceSpanScope(context: Context): ServiceSpanScope | undefined {
  return context.getValue(SERVICE_SPAN_SCOPE) as ServiceSpanScope | undefined;
}
