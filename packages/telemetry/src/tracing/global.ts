/**
 * Process-wide OpenTelemetry plumbing, installed once, the first time a
 * service starts with tracing on:
 *  - the AsyncLocalStorage context manager (the active span follows awaits);
 *  - W3C `traceparent`/`tracestate` and `baggage` propagation (propagator.ts);
 *  - a global tracer provider that hands each span to the provider of the
 *    service whose request is active (several services may share a process
 *    in tests), else to the most recently started one;
 *  - the undici instrumentation (outbound `fetch`/undici calls): it listens
 *    on diagnostics_channel, so unlike the require-hook instrumentations it
 *    needs no preload and works under ESM.
 *
 * A process that hands its spans' contexts on explicitly (the gateway) can
 * call `keepTracingContextSynchronous()` first: then the context follows
 * only synchronous code and the undici instrumentation is left out.
 */
import {
  context as otelContext,
  INVALID_SPAN_CONTEXT,
  propagation,
  trace,
  type Context,
  type Span,
  type SpanOptions,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { startActiveSpanWith } from './active-span.ts';
import { KitPropagator } from './propagator.ts';
import { serviceSpanScope } from './scope.ts';
import { SynchronousContextManager } from './sync-context.ts';

const live: TracerProvider[] = [];
let installed: Promise<void> | undefined;
let asyncContext = true;

/**
 * For a process that never relies on the active span across an await (the
 * gateway: its proxy path passes each request's context by hand): the
 * OpenTelemetry context is then active only inside `context.with()`'s
 * synchronous extent. This spares the AsyncLocalStorage context manager
 * (its cost per traced proxied request: bench/gateway/context.ts)
 * and leaves out the undici instrumentation, which could no longer find a
 * parent span. Call it before the first service starts with tracing on; a
 * process-wide choice.
 */
export function keepTracingContextSynchronous(): void {
  if (installed !== undefined) throw new Error('keepTracingContextSynchronous() must run before tracing is installed');
  asyncContext = false;
}

function providerFor(active: Context): TracerProvider | undefined {
  const scope = serviceSpanScope(active);
  if (scope !== undefined) return scope.provider;
  return live[live.length - 1];
}

/** A tracer that decides per span which service provider creates it. */
class RoutingTracer implements Tracer {
  private readonly name: string;
  private readonly version: string | undefined;

  constructor(name: string, version: string | undefined) {
    this.name = name;
    this.version = version;
  }

  startSpan(name: string, options?: SpanOptions, context: Context = otelContext.active()): Span {
    const provider = providerFor(context);
    if (provider === undefined) return trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    return provider.getTracer(this.name, this.version).startSpan(name, options, context);
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...rest: unknown[]): ReturnType<F> {
    return startActiveSpanWith<F>(this, name, rest);
  }
}

const routingProvider: TracerProvider = {
  getTracer: (name, version) => new RoutingTracer(name, version),
};

/** Installs the process-wide parts (idempotent; the SDK packages are imported here, on demand). */
export function installTracingGlobals(): Promise<void> {
  installed ??= install();
  return installed;
}

async function install(): Promise<void> {
  const { isTracingSuppressed, TraceState, W3CBaggagePropagator } = await import('@opentelemetry/core');
  propagation.setGlobalPropagator(
    new KitPropagator({
      baggage: new W3CBaggagePropagator(),
      createTraceState: (header) => new TraceState(header),
      isSuppressed: isTracingSuppressed,
    }),
  );
  trace.setGlobalTracerProvider(routingProvider);
  if (!asyncContext) {
    otelContext.setGlobalContextManager(new SynchronousContextManager());
    return;
  }
  const [{ AsyncLocalStorageContextManager }, { registerInstrumentations }, { UndiciInstrumentation }] = await Promise.all([
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/instrumentation'),
    import('@opentelemetry/instrumentation-undici'),
  ]);
  otelContext.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  registerInstrumentations({
    tracerProvider: routingProvider,
    instrumentations: [
      // Only calls made while serving something: no stray root traces from background work.
      // Without a parent the instrumentation would still parse the URL and headers and track a
      // no-op span per request; the hook skips all that (the gateway's proxy makes its own spans).
      new UndiciInstrumentation({
        requireParentforSpans: true,
        ignoreRequestHook: () => trace.getSpan(otelContext.active()) === undefined,
      }),
    ],
  });
}

/** Makes a service's provider the fallback for spans made outside any request. */
export function addLiveProvider(provider: TracerProvider): void {
  live.push(provider);
}

export function removeLiveProvider(provider: TracerProvider): void {
  const index = live.lastIndexOf(provider);
  if (index >= 0) live.splice(index, 1);
}
