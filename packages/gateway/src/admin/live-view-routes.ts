/**
 * The live view of the system, for the console and the CLI, on the gateway's
 * `/admin` scope (behind its admin credential check):
 *
 * - `GET /admin/topology`: services, instances and edges (`topology.ts`);
 * - `GET /admin/traffic` and `GET /admin/traffic/stream`: rate, errors and
 *   latency per route and upstream (`traffic-sampler.ts`, `traffic-stream.ts`);
 * - `GET /admin/faults`, `DELETE /admin/faults/{id}` (`faults.ts`);
 * - `GET /admin/traces`, `GET /admin/traces/{traceId}` (`merged-traces.ts`);
 * - `GET /admin/grpc-services` (`grpc-services.ts`).
 *
 * Everything here is done when asked; the traffic sampler runs only while
 * someone looks. On shutdown the streams end first, so the drain never waits
 * on them.
 */
import { type HttpApp, problemResponses, type ServiceContext } from '@flotilla/kit';
import Type from 'typebox';
import type { GatewaySettings } from '../config.ts';
import type { Gateway } from '../gateway.ts';
import { adminIdentity } from './admin-auth.ts';
import { DeclaredDependencies } from './declared-dependencies.ts';
import { Faults } from './faults.ts';
import { grpcServices } from './grpc-services.ts';
import { knownInstances } from './known-instances.ts';
import {
  FaultIdParams,
  Faults as FaultsSchema,
  GrpcServices,
  Topology,
  Trace,
  TraceList,
  TraceListQuery,
  TraceParams,
  Traffic,
  TrafficEvent,
} from './live-view-schemas.ts';
import { MergedTraces } from './merged-traces.ts';
import { topology } from './topology.ts';
import { TrafficSampler } from './traffic-sampler.ts';
import { MAX_TRAFFIC_STREAMS, TrafficStreams } from './traffic-stream.ts';
import { PrometheusTraffic } from './prometheus-traffic.ts';

const tags = ['admin'];

export type LiveViewContext = Pick<ServiceContext<GatewaySettings>, 'namespace' | 'telemetry' | 'discovery' | 'reload' | 'configStore'>;

export function registerLiveViewRoutes(admin: HttpApp, gateway: Gateway, context: LiveViewContext): void {
  const { telemetry, discovery, reload, configStore, namespace } = context;
  const registry = discovery.registry;
  const selfId = (): string => discovery.registration?.registration?.instance.id ?? 'gateway';
  const instances = () => knownInstances(registry, reload.current().upstreams);
  const declared = new DeclaredDependencies(configStore, namespace);
  const routePatterns = () => new Set(gateway.snapshot().table.routes.map((route) => route.pattern.source));
  const sampler = new TrafficSampler({
    metrics: telemetry.metrics,
    routes: routePatterns,
  });
  const streams = new TrafficStreams({ sampler, metrics: telemetry.metrics });
  const faults = new Faults({
    store: configStore,
    namespace,
    gatewayResilience: () => reload.current().resilience,
    permission: () => gateway.policies.guards.faultPermission,
  });
  const authenticator = gateway.policies.authenticator;
  const traces = new MergedTraces({
    recent: () => telemetry.tracing?.recent,
    peers: async () => [...(await instances()).values()].flat().filter((i) => i.httpOrigin !== undefined && i.id !== selfId()),
    identity: (target, requestId, caller) =>
      authenticator.settings.identityHeader === undefined
        ? undefined
        : authenticator.signIdentityHeader(
            { subject: caller, roles: ['admin'], method: 'apiKey', claims: {} },
            { method: 'GET', target, requestId },
          ),
    self: selfId,
    jaegerUrl: () => jaegerUrlOf(reload.current()),
  });
  // Read from the current config on each call, so they change live (a path nobody subscribes to waits for a restart).
  const live = ['console.prometheus', 'console.jaegerUrl'].map((path) => reload.onChange(path, () => {}));
  admin.addHook('preClose', (done) => {
    for (const unsubscribe of live) unsubscribe();
    streams.close();
    sampler.close();
    done();
  });

  admin.get(
    '/topology',
    {
      schema: {
        tags,
        summary: 'Services, their instances and the edges between them',
        description:
          "Instances from the registry and the upstreams configured by address, with what the gateway's balancers know of each; " +
          "edges from the gateway's route table and from the `dependencies` each service declares in its published config schema.",
        operationId: 'getTopology',
        response: { 200: Topology, ...problemResponses(401, 403) },
      },
    },
    async () =>
      topology({
        instances: await instances(),
        table: gateway.snapshot().table,
        stats: (service) => gateway.resolver.stats(service),
        declared: await declared.edges(),
      }),
  );

  admin.get(
    '/traffic',
    {
      schema: {
        tags,
        summary: 'Traffic per route and per upstream over the last 15 minutes',
        description:
          "Derived from the gateway's own metrics, one point per interval. Sampling runs while a traffic stream is open and for " +
          'two minutes after this call: the first call after a quiet time starts it, and points follow one interval later. ' +
          'With `console.prometheus` configured the 15 minutes come from Prometheus instead (`source: prometheus`): every ' +
          "gateway instance and worker, across restarts; the stream stays this process's own.",
        operationId: 'getTraffic',
        response: { 200: Traffic, ...problemResponses(401, 403) },
      },
    },
    async () => {
      sampler.touch();
      const answer = { intervalSeconds: sampler.intervalMs / 1000, windowSeconds: sampler.windowMs / 1000, sampling: sampler.running };
      const prometheus = prometheusOf(reload.current(), sampler.windowMs);
      if (prometheus === undefined) return { ...answer, source: 'process' as const, series: sampler.series() };
      try {
        // The gateway's own routes (as the sampler keeps) and every upstream.
        const routes = routePatterns();
        const series = await prometheus.series((kind, key) => kind === 'upstream' || routes.has(key));
        return { ...answer, source: 'prometheus' as const, series };
      } catch (error) {
        return { ...answer, source: 'process' as const, warning: `Prometheus: ${(error as Error).message}`, series: sampler.series() };
      }
    },
  );

  admin.get(
    '/traffic/stream',
    {
      // A HEAD would hold a connection open with nothing to stream.
      exposeHeadRoute: false,
      config: { shed: false },
      schema: {
        tags,
        summary: 'Traffic samples as server-sent events',
        description:
          '`event: sample` every interval, its `data` a JSON sample; a comment line every 15 s as a heartbeat. ' +
          `At most ${MAX_TRAFFIC_STREAMS} streams at once (503 beyond); every stream ends when the gateway shuts down.`,
        operationId: 'streamTraffic',
        response: {
          200: { description: 'A stream of `sample` events', content: { 'text/event-stream': { schema: TrafficEvent } } },
          ...problemResponses(401, 403, 503),
        },
      },
    },
    async (request, reply) => {
      streams.admit();
      reply.hijack();
      streams.serve(reply.raw, request.id);
    },
  );

  admin.get(
    '/faults',
    {
      schema: {
        tags,
        summary: 'The configured faults, with where each is set',
        operationId: 'listFaults',
        response: { 200: FaultsSchema, ...problemResponses(401, 403) },
      },
    },
    async () => faults.list(),
  );

  admin.delete(
    '/faults/:id',
    {
      schema: {
        tags,
        summary: 'Clears a fault where it is set',
        description:
          'Writes a new version of the config document that sets it, without it (the author is the caller), so it stays cleared ' +
          'after a reload. 409 when it is set outside the config centre.',
        operationId: 'clearFault',
        params: FaultIdParams,
        response: { 204: Type.Null({ description: 'Cleared' }), ...problemResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      await faults.clear(request.params.id, callerOf(request));
      return reply.code(204).send(null);
    },
  );

  admin.get(
    '/traces',
    {
      schema: {
        tags,
        summary: 'The traces the gateway saw lately, newest first',
        description: 'From the spans the gateway kept while tracing is on (a bounded buffer); `jaegerUrl` when one is configured.',
        operationId: 'listTraces',
        querystring: TraceListQuery,
        response: { 200: TraceList, ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => traces.list(request.query.limit ?? 100),
  );

  admin.get(
    '/traces/:traceId',
    {
      schema: {
        tags,
        summary: "One trace: the gateway's spans and every service's",
        description: 'Each instance the gateway knows is asked for its spans of the trace; `sources` says what each gave.',
        operationId: 'getTrace',
        params: TraceParams,
        response: { 200: Trace, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => traces.trace(request.params.traceId, callerOf(request)),
  );

  admin.get(
    '/grpc-services',
    {
      schema: {
        tags,
        summary: 'The gRPC services each instance serves, by server reflection',
        operationId: 'listGrpcServices',
        response: { 200: GrpcServices, ...problemResponses(401, 403) },
      },
    },
    async () => grpcServices([...(await instances()).values()].flat()),
  );
}

/** Who is asking: the admin check's subject. */
function callerOf(request: Parameters<typeof adminIdentity>[0]): string {
  return adminIdentity(request).subject;
}

/** A reader of `console.prometheus`, when configured; one point per step of a quarter of a minute. */
function prometheusOf(settings: GatewaySettings, windowMs: number): PrometheusTraffic | undefined {
  const configured = settings.console.prometheus;
  return configured === undefined ? undefined : new PrometheusTraffic({ ...configured, windowMs, stepSeconds: 15 });
}

/** `console.jaegerUrl` of the gateway's config, when set. */
function jaegerUrlOf(settings: GatewaySettings): string | null {
  return settings.console.jaegerUrl ?? null;
}
