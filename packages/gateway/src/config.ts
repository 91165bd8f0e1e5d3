/**
 * The gateway's config (`config/<ns>/gateway.yaml`): the shared keys plus
 * upstreams, proxy tuning, routes, aggregations and the merged OpenAPI.
 * Structure is checked here with TypeBox; cross-references (a route naming an
 * unknown upstream, a template using a parameter its path does not capture)
 * are checked when the route table is compiled (`routes/table.ts`).
 */
import { serviceConfig } from '@flotilla/service';
import Type, { type Static } from 'typebox';
import { GatewayPolicyFields, RoutePolicyFields } from './policies/settings.ts';

const strict = { additionalProperties: false } as const;

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

const Name = Type.String({ pattern: '^[a-z][a-z0-9-]{0,62}$', description: 'lower-case letters, digits and dashes' });
const PathPattern = Type.String({
  pattern: '^/',
  minLength: 1,
  description: 'segments, `:name` captures one, `*` matches one, a final `**` matches the rest',
});
const Template = Type.String({
  pattern: '^/',
  minLength: 1,
  description: 'upstream path; `{name}` inserts a captured segment, `{**}` the rest',
});
const Timeout = Type.Integer({ minimum: 1, maximum: 3_600_000 });

export const UpstreamSpec = Type.Object(
  {
    instances: Type.Optional(
      Type.Array(Type.String({ pattern: '^https?://[^/?#]+$', description: 'origin, e.g. http://127.0.0.1:8081' }), {
        description: 'static instances instead of discovery; empty: every request answers 502',
      }),
    ),
  },
  { ...strict, description: 'without `instances` the service is found through discovery (its registered `http` port)' },
);

const BodyLimit = Type.Integer({
  minimum: 0,
  description: 'largest request body forwarded, in bytes; a larger declared Content-Length is answered 413 by the gateway',
});

export const RouteSpec = Type.Object(
  {
    name: Type.Optional(Name),
    path: PathPattern,
    upstream: Name,
    methods: Type.Optional(Type.Array(Type.Enum([...HTTP_METHODS]), { minItems: 1 })),
    stripPrefix: Type.Optional(Type.String({ pattern: '^/.*[^/]$', description: 'removed from the front of the path, e.g. /api' })),
    rewrite: Type.Optional(Template),
    timeoutMs: Type.Optional(Timeout),
    bodyLimitBytes: Type.Optional(BodyLimit),
    ...RoutePolicyFields,
  },
  strict,
);

export const AggregationPartSpec = Type.Object(
  {
    upstream: Name,
    path: Template,
    required: Type.Optional(Type.Boolean({ description: 'a required part failing fails the whole answer; default false' })),
    timeoutMs: Type.Optional(Timeout),
  },
  strict,
);

export const AggregationSpec = Type.Object(
  {
    name: Name,
    path: PathPattern,
    timeoutMs: Type.Optional(Timeout),
    ...RoutePolicyFields,
    parts: Type.Record(Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]{0,62}$' }), AggregationPartSpec, {
      minProperties: 1,
    }),
  },
  strict,
);

export const ProxySettings = Type.Object(
  {
    defaultTimeoutMs: Type.Integer({
      default: 30_000,
      minimum: 1,
      description: 'time an upstream may take to start its response, unless a route says otherwise',
    }),
    bodyTimeoutMs: Type.Integer({
      default: 60_000,
      minimum: 0,
      description: 'longest pause between two body chunks from an upstream; 0 disables',
    }),
    bodyLimitBytes: Type.Integer({
      default: 1_048_576,
      minimum: 0,
      description: "largest request body forwarded unless a route says otherwise (the services' own default)",
    }),
    connectTimeoutMs: Type.Integer({ default: 5_000, minimum: 1 }),
    connectionsPerInstance: Type.Integer({ default: 256, minimum: 1 }),
    keepAliveTimeoutMs: Type.Integer({
      default: 30_000,
      minimum: 1,
      description: 'how long an idle upstream connection is kept',
    }),
    accessLog: Type.Boolean({ default: true, description: 'one ECS access line per proxied request' }),
  },
  { ...strict, default: {} },
);

export const OpenApiSettings = Type.Object(
  {
    title: Type.String({ default: 'Flotilla public API' }),
    cacheTtlMs: Type.Integer({ default: 30_000, minimum: 0 }),
    fetchTimeoutMs: Type.Integer({ default: 2_000, minimum: 1 }),
  },
  { ...strict, default: {} },
);

export const BalancingSettings = Type.Object(
  {
    strategy: Type.Enum(['p2c', 'round-robin'], {
      default: 'p2c',
      description: 'p2c: two random choices, cheaper by EWMA latency x in-flight; round-robin: smooth weighted',
    }),
    ejection: Type.Object(
      {
        enabled: Type.Boolean({ default: true }),
        consecutiveFailures: Type.Integer({
          default: 5,
          minimum: 1,
          description: 'failures in a row (connect error, timeout, 502/503/504) that eject an instance',
        }),
        baseEjectionMs: Type.Integer({
          default: 1_000,
          minimum: 1,
          description: 'first ejection; doubles with each ejection in a row',
        }),
        maxEjectionMs: Type.Integer({ default: 30_000, minimum: 1 }),
      },
      { ...strict, default: {} },
    ),
    waitForInstancesMs: Type.Integer({
      default: 2_000,
      minimum: 0,
      description: 'at start, how long to wait for the first listing of each discovered upstream',
    }),
  },
  { ...strict, default: {} },
);

export const ConsoleSettings = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'serve the web console at /console/ (its data still needs the admin credential)' }),
    jaegerUrl: Type.Optional(Type.String({ pattern: '^https?://', description: 'a Jaeger UI the traces page links each trace to' })),
    prometheus: Type.Optional(
      Type.Object(
        {
          url: Type.String({ pattern: '^https?://', description: 'the Prometheus HTTP API the traffic history is read from' }),
          selector: Type.String({
            default: 'service="gateway"',
            maxLength: 500,
            description: "PromQL label matchers that pick the gateway's series (deploy/observability labels each target with `service`)",
          }),
        },
        {
          ...strict,
          description: "read the traffic page's 15 minutes from Prometheus (every gateway instance and worker, across restarts)",
        },
      ),
    ),
  },
  { ...strict, default: {} },
);

export const GatewayConfig = serviceConfig({
  upstreams: Type.Record(Name, UpstreamSpec, { default: {} }),
  proxy: ProxySettings,
  routes: Type.Array(RouteSpec, { default: [] }),
  aggregations: Type.Array(AggregationSpec, { default: [] }),
  openapi: OpenApiSettings,
  balancing: BalancingSettings,
  console: ConsoleSettings,
  ...GatewayPolicyFields,
});

export type GatewaySettings = Static<typeof GatewayConfig>;
export type RouteSettings = Static<typeof RouteSpec>;
export type AggregationSettings = Static<typeof AggregationSpec>;
export type UpstreamSettings = Static<typeof UpstreamSpec>;
export type ProxyOptions = Static<typeof ProxySettings>;
export type BalancingOptions = Static<typeof BalancingSettings>;
