/**
 * HTTP server telemetry as Fastify hooks: RED metrics, a SERVER span per
 * request (made the active span for hooks and handler, so logs, gRPC calls,
 * undici calls and queries made while serving it are its children), and the
 * anomaly detector of the route. Plus the `/metrics` and `/admin/anomalies`
 * endpoints, hidden from the OpenAPI document.
 *
 * Hot path: one small state object per request; label children, route
 * series and detectors are cached per route template.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, propagation, SpanKind, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { methodLabel, UNMATCHED_ROUTE, type RouteSeries } from './metrics/http-server.ts';
import type { AnomalyDetector } from './anomaly/detector.ts';
import type { ServiceTelemetry } from './telemetry.ts';
import { LINKED_ROOT } from './tracing/linked-context.ts';
import { SERVICE_SPAN_SCOPE, type ServiceSpanScope } from './tracing/scope.ts';
import { budgetFromHeaders, DEADLINE_BUDGET_ATTRIBUTE } from './deadline-budget.ts';

export const ANOMALIES_PATH = '/admin/anomalies';
/** Probes and scrapes: measured, but neither traced nor watched for anomalies. */
const INFRASTRUCTURE_ROUTES = new Set(['/healthz', '/readyz', ANOMALIES_PATH]);

const kTelemetry = Symbol('flotilla.telemetry');

/** Status recorded when the client went away before the response (nginx's convention; no response was sent). */
export const CLIENT_CLOSED_REQUEST = 499;

/** @internal A route template's cached series and detectors. */
export interface RouteEntry {
  series: RouteSeries | undefined;
  detectors: Map<string, Pick<AnomalyDetector, 'record'>>;
  /** SERVER span names by method label (`GET /users/:id`), made once. */
  spanNames: Map<string, string>;
  infrastructure: boolean;
}

/**
 * One request being served: created by `HttpServerTelemetry.start`, ended
 * once by `end(status)`. Methods live on the prototype: no closures per request.
 */
export class HttpRequestTelemetry {
  private readonly owner: HttpServerTelemetry;
  private readonly entry: RouteEntry;
  readonly method: string;
  readonly route: string;
  private readonly active: { dec(): void } | undefined;
  private readonly startedAt: number;
  /** The SERVER span, when the request is traced. */
  span: Span | undefined;
  /** The context with the span active (undefined when not traced). */
  context: Context | undefined;
  private done = false;

  constructor(
    owner: HttpServerTelemetry,
    entry: RouteEntry,
    method: string,
    route: string,
    active: { dec(): void } | undefined,
    startedAt: number,
  ) {
    this.owner = owner;
    this.entry = entry;
    this.method = method;
    this.route = route;
    this.active = active;
    this.startedAt = startedAt;
  }

  /** Runs `fn` with the request's span as the active span (so logs, queries and calls made in it are its children). */
  run<T>(fn: () => T): T {
    return this.context === undefined ? fn() : context.with(this.context, fn);
  }

  /** Records duration, status, anomaly sample and ends the span; later calls are ignored. */
  end(status: number): void {
    if (this.done) return;
    this.done = true;
    const now = performance.now();
    const ms = now - this.startedAt;
    this.entry.series?.observe(this.method, status, ms / 1000);
    this.active?.dec();
    if (!this.entry.infrastructure) this.owner.detectorFor(this.entry, this.method, this.route)?.record(ms, status >= 500);
    const span = this.span;
    if (span === undefined) return;
    if (status === CLIENT_CLOSED_REQUEST) span.setAttribute('error.type', 'client_closed_request');
    else span.setAttribute('http.response.status_code', status);
    if (status >= 500) {
      if (status !== CLIENT_CLOSED_REQUEST) span.setAttribute('error.type', String(status));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    // The same clock reading as the metrics' duration (a performance.now() value, as the API allows).
    span.end(now);
  }
}

/**
 * The HTTP server side of a service's telemetry, independent of Fastify so
 * that a request path below Fastify (the gateway's proxy) records the same
 * metrics, spans and anomaly samples:
 *
 *   const request = httpServerTelemetry(telemetry).start(req, '/api/users/**');
 *   request.run(() => proxy(req, res));
 *   res.once('close', () => request.end(res.writableFinished ? res.statusCode : 499));
 */
export class HttpServerTelemetry {
  private readonly telemetry: ServiceTelemetry;
  private readonly routes = new Map<string, RouteEntry>();
  private readonly metricsPath: string;

  constructor(telemetry: ServiceTelemetry) {
    this.telemetry = telemetry;
    this.metricsPath = telemetry.settings.metrics.path;
  }

  /**
   * Starts a request. `route` is the route template that matched (never the
   * raw path), or undefined for no match. The request's `traceparent` is
   * continued; `clientAddress` defaults to the socket's peer.
   */
  start(request: IncomingMessage, route: string | undefined, clientAddress?: string): HttpRequestTelemetry {
    const method = request.method ?? 'GET';
    const template = route ?? UNMATCHED_ROUTE;
    const entry = this.entryFor(template);
    const { httpServer, tracing } = this.telemetry;
    let active: { inc(): void; dec(): void } | undefined;
    if (httpServer !== undefined) {
      active = httpServer.activeFor(method);
      active.inc();
    }
    const startedAt = performance.now();
    const state = new HttpRequestTelemetry(this, entry, method, template, active, startedAt);
    if (tracing === undefined || entry.infrastructure) return state;
    // A linked context: the request's few context derivations each cost one small object.
    const parent = propagation.extract(LINKED_ROOT, request.headers);
    const label = methodLabel(method);
    let name = entry.spanNames.get(label);
    if (name === undefined) {
      name = route === undefined ? label : `${label} ${route}`;
      entry.spanNames.set(label, name);
    }
    const span = tracing.tracer.startSpan(name, { kind: SpanKind.SERVER, startTime: startedAt }, parent);
    // Attributes only for spans that are kept (the ratio sampler does not read them).
    if (span.isRecording()) {
      setRequestAttributes(span, request, label, route, clientAddress ?? request.socket.remoteAddress);
      const budget = budgetFromHeaders(request.headers);
      if (budget !== undefined) span.setAttribute(DEADLINE_BUDGET_ATTRIBUTE, budget);
    }
    const spanScope: ServiceSpanScope = {
      service: this.telemetry.identity.service,
      provider: tracing.provider,
      tracer: tracing.tracer,
      transactionId: span.spanContext().spanId,
    };
    state.span = span;
    state.context = trace.setSpan(parent, span).setValue(SERVICE_SPAN_SCOPE, spanScope);
    return state;
  }

  /** @internal the route's detector for a method (cached). */
  detectorFor(entry: RouteEntry, method: string, route: string): Pick<AnomalyDetector, 'record'> | undefined {
    const anomalies = this.telemetry.anomalies;
    let detector = entry.detectors.get(method);
    if (detector === undefined) {
      detector = anomalies.detector(`http ${methodLabel(method)} ${route}`);
      entry.detectors.set(method, detector);
    }
    return detector;
  }

  private entryFor(route: string): RouteEntry {
    let entry = this.routes.get(route);
    if (entry === undefined) {
      entry = {
        series: this.telemetry.httpServer?.route(route),
        detectors: new Map(),
        spanNames: new Map(),
        infrastructure: route === this.metricsPath || INFRASTRUCTURE_ROUTES.has(route),
      };
      this.routes.set(route, entry);
    }
    return entry;
  }
}

const perService = new WeakMap<ServiceTelemetry, HttpServerTelemetry>();

/** The (one) HttpServerTelemetry of a service. */
export function httpServerTelemetry(telemetry: ServiceTelemetry): HttpServerTelemetry {
  let http = perService.get(telemetry);
  if (http === undefined) {
    http = new HttpServerTelemetry(telemetry);
    perService.set(telemetry, http);
  }
  return http;
}

type Instrumented = FastifyRequest & { [kTelemetry]: HttpRequestTelemetry | null };
type AnsweredResponse = ServerResponse & { [kTelemetry]?: HttpRequestTelemetry };

/** Shared `close` listener (no closure per request); a no-op when the response was sent (already ended). */
function endUnanswered(this: AnsweredResponse): void {
  if (!this.writableFinished) this[kTelemetry]?.end(CLIENT_CLOSED_REQUEST);
}

/** The Fastify hooks: start in onRequest (the span active for every later hook and the handler), end on response or abort. */
export function registerHttpTelemetry(app: FastifyInstance, telemetry: ServiceTelemetry): void {
  const http = httpServerTelemetry(telemetry);
  app.decorateRequest(kTelemetry as unknown as string, null);

  app.addHook('onRequest', (request, reply, done) => {
    const state = http.start(request.raw, request.routeOptions.url, request.ip);
    (request as Instrumented)[kTelemetry] = state;
    // A client gone after sending its whole request (e.g. a caller whose deadline passed first) fires
    // neither onResponse nor onRequestAbort: the closed response ends the request (499) instead.
    (reply.raw as AnsweredResponse)[kTelemetry] = state;
    reply.raw.once('close', endUnanswered);
    if (state.context === undefined) done();
    else context.with(state.context, done);
  });

  app.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    (request as Instrumented)[kTelemetry]?.end(reply.statusCode);
    done();
  });

  app.addHook('onRequestAbort', (request: FastifyRequest, done: () => void) => {
    (request as Instrumented)[kTelemetry]?.end(CLIENT_CLOSED_REQUEST);
    done();
  });
}

/** The SERVER span's request attributes, set one by one (no intermediate object on the hot path). */
function setRequestAttributes(
  span: Span,
  request: IncomingMessage,
  method: string,
  route: string | undefined,
  clientAddress: string | undefined,
): void {
  const host = request.headers.host ?? '';
  const colon = host.lastIndexOf(':');
  const hasPort = colon > 0 && !host.endsWith(']');
  const url = request.url ?? '/';
  const query = url.indexOf('?');
  span.setAttribute('http.request.method', method);
  span.setAttribute('url.path', query === -1 ? url : url.slice(0, query));
  span.setAttribute('url.scheme', 'http');
  span.setAttribute('server.address', hasPort ? host.slice(0, colon) : host);
  span.setAttribute('network.protocol.version', request.httpVersion);
  if (hasPort) span.setAttribute('server.port', Number(host.slice(colon + 1)));
  if (clientAddress !== undefined) span.setAttribute('client.address', clientAddress);
  if (route !== undefined) span.setAttribute('http.route', route);
  const agent = request.headers['user-agent'];
  if (agent !== undefined) span.setAttribute('user_agent.original', agent);
}
