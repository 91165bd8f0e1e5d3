/**
 * HTTP server RED metrics, named after the OpenTelemetry HTTP semantic
 * conventions with dots turned into underscores:
 *   http_server_request_duration_seconds{http_request_method, http_route, http_response_status_code}
 *   http_server_active_requests{http_request_method}
 * `http_route` is the route template (`/users/:id`, `(unmatched)` for 404s),
 * never the raw path, so the series count is bounded by the route table.
 * The status label is the exact code, as the convention defines it; the class
 * is one regex away in PromQL (`http_response_status_code=~"5.."`) and the
 * codes a service answers are a short, fixed list.
 *
 * Label children are bound once per (route, method, status) and cached, so
 * the hot path is two Map lookups and one `observe`.
 */
import type { Gauge, Histogram } from 'prom-client';
import type { MetricsRegistry } from './registry.ts';

/** OpenTelemetry's advisory buckets for http.server.request.duration, in seconds. */
export const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10] as const;

export const UNMATCHED_ROUTE = '(unmatched)';

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'CONNECT', 'TRACE']);

/** The method as a bounded label value: anything unusual becomes `_OTHER` (the semantic conventions' rule). */
export function methodLabel(method: string): string {
  return KNOWN_METHODS.has(method) ? method : '_OTHER';
}

type DurationLabels = 'http_request_method' | 'http_route' | 'http_response_status_code';
type BoundObserve = { observe(value: number): void };

/** The series of one route template, with its label children cached by method and status. */
export class RouteSeries {
  readonly route: string;
  private readonly duration: Histogram<DurationLabels>;
  private readonly children = new Map<string, Map<number, BoundObserve>>();

  constructor(route: string, duration: Histogram<DurationLabels>) {
    this.route = route;
    this.duration = duration;
  }

  observe(method: string, status: number, seconds: number): void {
    let byStatus = this.children.get(method);
    if (byStatus === undefined) {
      byStatus = new Map();
      this.children.set(method, byStatus);
    }
    let child = byStatus.get(status);
    if (child === undefined) {
      child = this.duration.labels(methodLabel(method), this.route, String(status));
      byStatus.set(status, child);
    }
    child.observe(seconds);
  }
}

export class HttpServerMetrics {
  readonly duration: Histogram<DurationLabels>;
  readonly active: Gauge<'http_request_method'>;
  private readonly routes = new Map<string, RouteSeries>();
  private readonly activeChildren = new Map<string, { inc(): void; dec(): void }>();

  constructor(registry: MetricsRegistry) {
    this.duration = registry.histogram({
      name: 'http_server_request_duration_seconds',
      help: 'Duration of HTTP server requests, by method, route template and status code.',
      labelNames: ['http_request_method', 'http_route', 'http_response_status_code'],
      buckets: HTTP_DURATION_BUCKETS,
    });
    this.active = registry.gauge({
      name: 'http_server_active_requests',
      help: 'HTTP server requests being processed now.',
      labelNames: ['http_request_method'],
      // A group of workers has the sum of theirs in flight.
      aggregator: 'sum',
    });
  }

  /** The cached series of a route template. */
  route(route: string): RouteSeries {
    let series = this.routes.get(route);
    if (series === undefined) {
      series = new RouteSeries(route, this.duration);
      this.routes.set(route, series);
    }
    return series;
  }

  /** The active-requests child of a method (cached). */
  activeFor(method: string): { inc(): void; dec(): void } {
    let child = this.activeChildren.get(method);
    if (child === undefined) {
      child = this.active.labels(methodLabel(method));
      this.activeChildren.set(method, child);
    }
    return child;
  }
}
