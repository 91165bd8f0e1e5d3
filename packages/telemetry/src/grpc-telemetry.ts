/**
 * gRPC telemetry as grpc-js interceptors rather than the require-hook
 * instrumentation: they work whatever the load order and under ESM.
 *  - Server: `rpc_server_duration_seconds`, a SERVER span continuing the
 *    caller's `traceparent` from the metadata, made active while grpc-js runs
 *    the handler (so its queries and calls are children), and the method's
 *    anomaly detector.
 *  - Client: `rpc_client_duration_seconds`, a CLIENT span whose context is
 *    injected into the outgoing metadata (`traceparent`, `tracestate`,
 *    `baggage`), and the upstream's anomaly detector.
 * Span names and attributes follow the RPC semantic conventions
 * (`flotilla.users.v1.UserService/GetUser`, rpc.system/service/method,
 * rpc.grpc.status_code).
 */
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import {
  InterceptingCall,
  type Metadata,
  ServerInterceptingCall,
  status as Status,
  type Interceptor,
  type ServerInterceptor,
} from '@grpc/grpc-js';
import type { ServiceTelemetry } from './telemetry.ts';
import { SERVICE_SPAN_SCOPE, serviceSpanScope, type ServiceSpanScope } from './tracing/scope.ts';
import type { RpcMethodSeries } from './metrics/rpc.ts';
import type { AnomalyDetector } from './anomaly/detector.ts';
import { budgetFromDeadline, DEADLINE_BUDGET_ATTRIBUTE } from './deadline-budget.ts';

/** Codes that mean the server failed (the semantic conventions' list for server spans). */
const SERVER_FAULTS = new Set<number>([
  Status.UNKNOWN,
  Status.DEADLINE_EXCEEDED,
  Status.UNIMPLEMENTED,
  Status.INTERNAL,
  Status.UNAVAILABLE,
  Status.DATA_LOSS,
]);

const metadataGetter: TextMapGetter<Metadata> = {
  keys: (metadata) => Object.keys(metadata.getMap()),
  get: (metadata, key) => {
    const values = metadata.get(key);
    return values.length === 0 ? undefined : values.map(String);
  },
};

const metadataSetter: TextMapSetter<Metadata> = {
  set: (metadata, key, value) => metadata.set(key, value),
};

function splitPath(path: string): { service: string; method: string } {
  const [, service = '', method = ''] = path.split('/');
  return { service, method };
}

interface MethodEntry {
  service: string;
  method: string;
  series: RpcMethodSeries | undefined;
  detector: Pick<AnomalyDetector, 'record'> | undefined;
}

export interface ServerTelemetryOptions {
  /** Paths or prefixes (health checks, reflection) measured but neither traced nor watched. */
  quietPrefixes?: readonly string[];
}

export function createServerTelemetryInterceptor(telemetry: ServiceTelemetry, options: ServerTelemetryOptions = {}): ServerInterceptor {
  const { rpcServer, tracing, anomalies } = telemetry;
  const quietPrefixes = options.quietPrefixes ?? [];
  const methods = new Map<string, MethodEntry>();
  const entryFor = (path: string): MethodEntry => {
    let entry = methods.get(path);
    if (entry === undefined) {
      const { service, method } = splitPath(path);
      const quiet = quietPrefixes.some((prefix) => path.startsWith(prefix));
      entry = {
        service,
        method,
        series: rpcServer?.method(service, method),
        detector: quiet ? undefined : anomalies.detector(`grpc ${service}/${method}`),
      };
      methods.set(path, entry);
    }
    return entry;
  };

  return (methodDefinition, call) => {
    const path = methodDefinition.path;
    const entry = entryFor(path);
    const startedAt = performance.now();
    const traced = tracing !== undefined && entry.detector !== undefined;
    let span: Span | undefined;
    let active: Context | undefined;
    let finished = false;

    const finish = (code: number): void => {
      if (finished) return;
      finished = true;
      const ms = performance.now() - startedAt;
      entry.series?.observe(code, ms / 1000);
      entry.detector?.record(ms, SERVER_FAULTS.has(code));
      if (span !== undefined) {
        span.setAttribute('rpc.grpc.status_code', code);
        if (SERVER_FAULTS.has(code)) {
          span.setAttribute('error.type', Status[code] ?? String(code));
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
        span.end();
      }
    };
    const within = <T>(fn: () => T): T => (active === undefined ? fn() : context.with(active, fn));

    return new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, nextMetadata) => {
            if (traced && tracing !== undefined) {
              const parent = propagation.extract(ROOT_CONTEXT, metadata, metadataGetter);
              span = tracing.tracer.startSpan(`${entry.service}/${entry.method}`, { kind: SpanKind.SERVER }, parent);
              if (span.isRecording()) {
                span.setAttributes({ 'rpc.system': 'grpc', 'rpc.service': entry.service, 'rpc.method': entry.method });
                const budget = budgetFromDeadline(call.getDeadline());
                if (budget !== undefined) span.setAttribute(DEADLINE_BUDGET_ATTRIBUTE, budget);
              }
              const spanScope: ServiceSpanScope = {
                service: telemetry.identity.service,
                provider: tracing.provider,
                tracer: tracing.tracer,
                transactionId: span.spanContext().spanId,
              };
              active = trace.setSpan(parent, span).setValue(SERVICE_SPAN_SCOPE, spanScope);
            }
            within(() => nextMetadata(metadata));
          },
          onReceiveMessage: (message, nextMessage) => within(() => nextMessage(message)),
          onReceiveHalfClose: (nextHalfClose) => within(nextHalfClose),
          onCancel: () => {
            const deadline = call.getDeadline();
            const deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline;
            finish(Date.now() >= deadlineMs ? Status.DEADLINE_EXCEEDED : Status.CANCELLED);
          },
        }),
      sendStatus: (status, next) => {
        finish(status.code);
        next(status);
      },
    });
  };
}

/**
 * The client-side interceptor of one client. `target` is the resolved
 * host:port (the `server_address` label); `upstream` names the detector.
 */
export function createClientTelemetryInterceptor(telemetry: ServiceTelemetry, target: string, upstream: string): Interceptor {
  const { rpcClient, tracing, anomalies } = telemetry;
  const detector = anomalies.detector(`upstream ${upstream}`);
  const colon = target.lastIndexOf(':');
  const serverAttributes =
    colon > 0
      ? {
          'server.address': target.slice(0, colon).replace(/^\[|\]$/g, ''),
          'server.port': Number(target.slice(colon + 1)),
        }
      : { 'server.address': target };
  const methods = new Map<string, { service: string; method: string; series: RpcMethodSeries | undefined }>();

  return (callOptions, nextCall) => {
    const path = callOptions.method_definition.path;
    let entry = methods.get(path);
    if (entry === undefined) {
      const { service, method } = splitPath(path);
      entry = { service, method, series: rpcClient?.method(service, method, target) };
      methods.set(path, entry);
    }
    const { service, method, series } = entry;
    const startedAt = performance.now();
    let span: Span | undefined;
    let carrier: Context | undefined;
    if (tracing !== undefined) {
      const parent = context.active();
      const tracer = serviceSpanScope(parent)?.tracer ?? tracing.tracer;
      span = tracer.startSpan(`${service}/${method}`, { kind: SpanKind.CLIENT }, parent);
      if (span.isRecording())
        span.setAttributes({ 'rpc.system': 'grpc', 'rpc.service': service, 'rpc.method': method, ...serverAttributes });
      carrier = trace.setSpan(parent, span);
    }
    return new InterceptingCall(nextCall(callOptions), {
      start(metadata, _listener, next) {
        if (carrier !== undefined) propagation.inject(carrier, metadata, metadataSetter);
        next(metadata, {
          onReceiveStatus(status, nextStatus) {
            const ms = performance.now() - startedAt;
            series?.observe(status.code, ms / 1000);
            detector?.record(ms, SERVER_FAULTS.has(status.code));
            if (span !== undefined) {
              span.setAttribute('rpc.grpc.status_code', status.code);
              if (status.code !== Status.OK) {
                span.setAttribute('error.type', Status[status.code] ?? String(status.code));
                span.setStatus({ code: SpanStatusCode.ERROR, message: status.details });
              }
              span.end();
            }
            nextStatus(status);
          },
        });
      },
    });
  };
}
