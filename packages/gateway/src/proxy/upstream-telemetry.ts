/**
 * Telemetry of the gateway's calls to upstreams, one `UpstreamCall` per
 * proxied request or aggregation part:
 *  - a CLIENT span, child of the request's SERVER span (the kit's
 *    `httpServerTelemetry`), named and attributed per the HTTP client
 *    semantic conventions, plus `peer.service` = the upstream's name;
 *  - its context injected into the upstream request's header array
 *    (`traceparent`, `tracestate`, `baggage`);
 *  - `http_client_request_duration_seconds` per upstream instance;
 *  - the upstream's anomaly detector (`upstream <name>`), fed with calls the
 *    upstream answered or failed, not with calls the gateway cancelled; an
 *    injected fault delay before the call counts as the upstream's latency
 *    there (`countFaultDelay`) — the fault simulates a slow upstream — but
 *    not in the instance's duration metric, span or balancer report: the
 *    instance was picked after the delay and did not cause it;
 *  - the balancer's report: the pick's `done()` (latency, and whether the
 *    instance failed), so the one place a call ends feeds all of them.
 *
 * The spans are made here, explicitly, rather than by the kit's undici
 * instrumentation: that one needs the server span active around the
 * dispatch (an AsyncLocalStorage switch per request) and knows neither the
 * upstream's name nor the route. The gateway never makes its request
 * context active, so the instrumentation (which only traces calls with an
 * active parent) stays out of the proxy path and nothing is traced twice.
 */
import { propagation, SpanKind, SpanStatusCode, trace, type Span, type TextMapSetter, type Tracer } from '@opentelemetry/api';
import { methodLabel, type AnomalyDetector, type HttpRequestTelemetry, type ServiceTelemetry } from '@flotilla/telemetry';
import { statusCountsAsFailure, type PickedUpstream } from '../upstream/resolver.ts';
import { UpstreamMetrics, type UpstreamInstanceSeries } from './upstream-metrics.ts';

/** Appends to a flat `[name, value, …]` header array (what undici's dispatch takes). */
const HEADER_ARRAY_SETTER: TextMapSetter<string[]> = {
  set(carrier, key, value) {
    carrier.push(key, value);
  },
};

interface UpstreamTarget {
  readonly upstream: string;
  readonly origin: string;
  readonly series: UpstreamInstanceSeries | undefined;
  readonly detector: Pick<AnomalyDetector, 'record'> | undefined;
  readonly host: string;
  readonly port: number | undefined;
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** A low-cardinality `error.type` for an undici failure. */
export function upstreamErrorType(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return '_OTHER';
  if (TIMEOUT_CODES.has(code)) return 'timeout';
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'connect_timeout';
    case 'ECONNREFUSED':
      return 'connection_refused';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'connection_reset';
    default:
      return '_OTHER';
  }
}

export class UpstreamTelemetry {
  private readonly telemetry: ServiceTelemetry;
  private readonly metrics: UpstreamMetrics | undefined;
  private readonly tracer: Tracer | undefined;
  private readonly targets = new Map<string, Map<string, UpstreamTarget>>();
  private readonly detectors = new Map<string, Pick<AnomalyDetector, 'record'> | undefined>();

  constructor(telemetry: ServiceTelemetry) {
    this.telemetry = telemetry;
    this.metrics = telemetry.httpServer === undefined ? undefined : new UpstreamMetrics(telemetry.metrics);
    this.tracer = telemetry.tracing?.tracer;
  }

  /**
   * Starts a call to the instance `picked` (of `upstream`) made for the
   * server request `parent`. When that request is traced, the call's trace
   * context is appended to `headers`, which the caller then sends.
   * `template` names the call's path shape (an aggregation part's
   * `/users/{id}`), if it has one.
   */
  start(
    parent: HttpRequestTelemetry,
    upstream: string,
    picked: PickedUpstream,
    method: string,
    path: string,
    headers: string[],
    template?: string,
  ): UpstreamCall {
    const target = this.targetFor(upstream, picked.origin);
    const startedAt = performance.now();
    let span: Span | undefined;
    const parentContext = parent.context;
    if (this.tracer !== undefined && parentContext !== undefined) {
      if (parent.span?.isRecording() === true) {
        const label = methodLabel(method) === '_OTHER' ? 'HTTP' : method;
        span = this.tracer.startSpan(
          template === undefined ? label : `${label} ${template}`,
          { kind: SpanKind.CLIENT, startTime: startedAt },
          parentContext,
        );
        // One by one: no attribute object per call.
        span.setAttribute('http.request.method', methodLabel(method));
        span.setAttribute('server.address', target.host);
        span.setAttribute('url.full', target.origin + path);
        span.setAttribute('peer.service', upstream);
        if (target.port !== undefined) span.setAttribute('server.port', target.port);
        if (template !== undefined) span.setAttribute('url.template', template);
        propagation.inject(trace.setSpan(parentContext, span), headers, HEADER_ARRAY_SETTER);
      } else {
        // Not sampled: pass the decision on so the upstreams do not sample this trace either.
        propagation.inject(parentContext, headers, HEADER_ARRAY_SETTER);
      }
    }
    return new UpstreamCall(target, picked, method, span, startedAt);
  }

  private targetFor(upstream: string, origin: string): UpstreamTarget {
    let byOrigin = this.targets.get(upstream);
    if (byOrigin === undefined) {
      byOrigin = new Map();
      this.targets.set(upstream, byOrigin);
    }
    let target = byOrigin.get(origin);
    if (target === undefined) {
      const url = new URL(origin);
      target = {
        upstream,
        origin,
        series: this.metrics?.instance(upstream, url.host),
        detector: this.detectorFor(upstream),
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port === '' ? undefined : Number(url.port),
      };
      byOrigin.set(origin, target);
    }
    return target;
  }

  private detectorFor(upstream: string): Pick<AnomalyDetector, 'record'> | undefined {
    if (!this.detectors.has(upstream)) this.detectors.set(upstream, this.telemetry.anomalies?.detector(`upstream ${upstream}`));
    return this.detectors.get(upstream);
  }
}

/** One upstream call; ended once, by `finish` or `fail`. */
export class UpstreamCall {
  private readonly target: UpstreamTarget;
  private readonly picked: PickedUpstream;
  private readonly method: string;
  readonly span: Span | undefined;
  private readonly startedAt: number;
  /** The response status, once headers arrived (0 before). */
  private status = 0;
  private done = false;
  private faultDelayMs = 0;

  constructor(target: UpstreamTarget, picked: PickedUpstream, method: string, span: Span | undefined, startedAt: number) {
    this.target = target;
    this.picked = picked;
    this.method = method;
    this.span = span;
    this.startedAt = startedAt;
  }

  /** A fault policy held this call back `ms` before it started: the upstream's detector counts it. */
  countFaultDelay(ms: number): void {
    this.faultDelayMs = ms;
  }

  /** The upstream's response headers arrived. */
  respond(status: number): void {
    this.status = status;
  }

  /** The response arrived to its end. */
  finish(): void {
    if (this.done) return;
    this.done = true;
    const now = performance.now();
    const ms = now - this.startedAt;
    const status = this.status;
    this.picked.done({ ok: !statusCountsAsFailure(status), latencyMs: ms });
    this.target.series?.observe(this.method, status, ms / 1000);
    this.target.detector?.record(ms + this.faultDelayMs, status >= 500);
    const span = this.span;
    if (span === undefined) return;
    span.setAttribute('http.response.status_code', status);
    // Client spans: 4xx is an error too (the semantic conventions' rule for CLIENT kind).
    if (status >= 400) {
      span.setAttribute('error.type', String(status));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end(now);
  }

  /**
   * No (complete) response. `upstreamFault` is false when the gateway gave up
   * on its own (its client went away, the aggregation was decided): then the
   * upstream's detector does not count it.
   */
  fail(errorType: string, upstreamFault: boolean): void {
    if (this.done) return;
    this.done = true;
    const now = performance.now();
    const ms = now - this.startedAt;
    // Cancelled by the gateway: released, not held against the instance.
    this.picked.done({ ok: !upstreamFault, latencyMs: ms });
    this.target.series?.observe(this.method, errorType, ms / 1000);
    if (upstreamFault) this.target.detector?.record(ms + this.faultDelayMs, true);
    const span = this.span;
    if (span === undefined) return;
    if (this.status !== 0) span.setAttribute('http.response.status_code', this.status);
    span.setAttribute('error.type', errorType);
    if (upstreamFault) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end(now);
  }
}
