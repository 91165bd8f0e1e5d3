/**
 * The wire shapes of the gateway's live-view admin endpoints (topology,
 * traffic, faults, traces, gRPC listing): documented in the gateway's
 * OpenAPI (`admin-openapi.ts`) and used to validate what they take.
 */
import { TraceIdParam } from '@flotilla/http';
import Type, { type Static, type TSchema } from 'typebox';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

// ── Topology ────────────────────────────────────────────────────────────────

export const TopologyInstance = Type.Object({
  id: Type.String(),
  address: Type.String({ description: 'host:port of its HTTP listener, else of its gRPC one' }),
  ports: Type.Object({ http: Type.Optional(Type.Integer()), grpc: Type.Optional(Type.Integer()) }),
  region: Type.String(),
  zone: Type.String(),
  version: Type.String(),
  healthy: Type.Boolean({ description: 'registered as serving and not ejected by the gateway' }),
  weight: Type.Integer(),
  outstanding: Nullable(
    Type.Integer({ description: 'requests the gateway sent it that have not ended; null when the gateway does not call it' }),
  ),
  ejected: Type.Boolean({ description: "ejected now by the gateway's passive health checks" }),
  source: Type.Enum(['registry', 'static'], { description: 'the registry, or an upstream configured by address' }),
});

export const TopologyEdge = Type.Object({
  from: Type.String(),
  to: Type.String(),
  protocol: Type.Enum(['http', 'grpc']),
  routes: Type.Array(Type.String(), { description: "the gateway's route patterns that lead there (gateway edges)" }),
  source: Type.Enum(['routes', 'declared'], {
    description: "the gateway's route table, or a service's declared `dependencies` (its published config schema)",
  }),
});

export const Topology = Type.Object({
  services: Type.Array(Type.Object({ name: Type.String(), instances: Type.Array(TopologyInstance) })),
  edges: Type.Array(TopologyEdge),
});

// ── Traffic ─────────────────────────────────────────────────────────────────

const TrafficFigures = {
  rate: Type.Number({ description: 'requests per second' }),
  errorRate: Type.Number({ minimum: 0, maximum: 1, description: 'share of requests that failed (5xx, or no answer from the upstream)' }),
  p50: Nullable(Type.Number({ description: 'seconds; null when the interval had no request' })),
  p99: Nullable(Type.Number({ description: 'seconds; null when the interval had no request' })),
};

export const TrafficKind = Type.Enum(['route', 'upstream']);

export const TrafficPoint = Type.Object({ t: Type.Integer({ description: 'end of the interval, epoch ms' }), ...TrafficFigures });

export const Traffic = Type.Object({
  intervalSeconds: Type.Integer(),
  windowSeconds: Type.Integer(),
  sampling: Type.Boolean({ description: 'whether the sampler runs now (a GET keeps it running for a while)' }),
  source: Type.Enum(['prometheus', 'process'], {
    description: "`prometheus` when `console.prometheus` is set and answered (every gateway instance), else this process's own sampler",
  }),
  warning: Type.Optional(Type.String({ description: 'why Prometheus was not used although configured' })),
  series: Type.Array(
    Type.Object({
      key: Type.String({ description: 'the route pattern, or the upstream name' }),
      kind: TrafficKind,
      points: Type.Array(TrafficPoint),
    }),
  ),
});

export const TrafficSample = Type.Object({
  t: Type.Integer(),
  entries: Type.Array(Type.Object({ key: Type.String(), kind: TrafficKind, ...TrafficFigures })),
});

/** One server-sent event of the traffic stream, as the SSE format parses it: its `data` is a JSON `TrafficSample`. */
export const TrafficEvent = Type.Object(
  {
    event: Type.Literal('sample'),
    data: Type.String({ contentMediaType: 'application/json', contentSchema: TrafficSample }),
    retry: Type.Optional(Type.Integer({ minimum: 0, description: 'how long a client waits before it reconnects, ms' })),
  },
  { description: 'A server-sent event' },
);

// ── Faults ──────────────────────────────────────────────────────────────────

export const Fault = Type.Object({
  id: Type.String({ description: '<service>:<upstream>:<kind>; the upstream `*` stands for `resilience.defaults`' }),
  service: Type.String({ description: 'whose calls it affects' }),
  upstream: Type.String(),
  kind: Type.Enum(['delay', 'abort']),
  percent: Type.Number(),
  delayMs: Type.Optional(Type.Integer()),
  status: Type.Optional(Type.Integer()),
  grpcCode: Type.Optional(Type.Integer()),
  path: Type.String({ description: 'its key in the config, e.g. resilience.upstreams.orders.fault.abort' }),
  source: Type.Enum(['config-centre', 'outside-centre'], {
    description: "a document of the config centre (where `flotilla config set` puts it), or the gateway's environment or base files",
  }),
  namespace: Type.String(),
  document: Nullable(Type.String()),
  version: Nullable(Type.Integer()),
  clearable: Type.Boolean(),
});

export const Faults = Type.Object({
  faults: Type.Array(Fault),
  header: Type.Object(
    { enabled: Type.Boolean(), reason: Type.String() },
    { description: 'whether this gateway honours `x-flotilla-fault` on requests, and why' },
  ),
});

export const FaultIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) });

// ── Traces ──────────────────────────────────────────────────────────────────

export const TraceSummary = Type.Object({
  traceId: Type.String(),
  name: Type.String(),
  start: Type.Number({ description: 'epoch ms' }),
  durationMs: Type.Number(),
  spanCount: Type.Integer({ description: "the gateway's own spans of it" }),
  error: Type.Boolean(),
});

export const TraceList = Type.Object({
  traces: Type.Array(TraceSummary),
  jaegerUrl: Nullable(Type.String()),
  tracing: Type.Boolean({ description: 'false when tracing is off in the gateway: nothing is kept' }),
});

export const TraceListQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })) });

export const Span = Type.Object({
  spanId: Type.String(),
  parentSpanId: Nullable(Type.String()),
  name: Type.String(),
  service: Type.String(),
  kind: Type.Enum(['internal', 'server', 'client', 'producer', 'consumer']),
  start: Type.Number({ description: 'epoch ms' }),
  durationMs: Type.Number(),
  attributes: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()])),
  status: Type.Enum(['unset', 'ok', 'error']),
});

export const Trace = Type.Object({
  traceId: Type.String(),
  spans: Type.Array(Span),
  sources: Type.Array(
    Type.Object({
      service: Type.String(),
      instance: Type.String(),
      spans: Type.Integer(),
      error: Type.Optional(Type.String({ description: 'why its spans could not be read' })),
    }),
    { description: 'every process asked, and what it gave' },
  ),
});

export const TraceParams = Type.Object({ traceId: TraceIdParam });

// ── gRPC ────────────────────────────────────────────────────────────────────

export const GrpcServices = Type.Object({
  services: Type.Array(
    Type.Object({
      service: Type.String(),
      instance: Type.String(),
      address: Type.String({ description: 'host:port of its gRPC listener' }),
      grpcServices: Type.Array(Type.String(), { description: 'what its server reflection lists' }),
      error: Type.Optional(Type.String({ description: 'why reflection did not answer' })),
    }),
  ),
});

export type TopologyAnswer = Static<typeof Topology>;
export type TopologyInstanceAnswer = Static<typeof TopologyInstance>;
export type TopologyEdgeAnswer = Static<typeof TopologyEdge>;
export type TrafficAnswer = Static<typeof Traffic>;
export type TrafficSampleAnswer = Static<typeof TrafficSample>;
export type TrafficPointAnswer = Static<typeof TrafficPoint>;
export type FaultAnswer = Static<typeof Fault>;
export type FaultsAnswer = Static<typeof Faults>;
export type TraceListAnswer = Static<typeof TraceList>;
export type TraceAnswer = Static<typeof Trace>;
export type GrpcServicesAnswer = Static<typeof GrpcServices>;
