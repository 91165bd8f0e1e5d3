/**
 * HTTP client metrics of the gateway's upstream calls (proxied requests and
 * aggregation parts), named after the OpenTelemetry HTTP client convention
 * with dots as underscores:
 *
 *   http_client_request_duration_seconds{upstream, server_address, http_request_method,
 *                                        http_response_status_code, error_type}
 *
 * `upstream` is the service name from the route table, `server_address` the
 * instance (`host:port`, as the kit's `rpc_client_duration_seconds` has it),
 * so the series count is bounded by routes × instances. A call that got no
 * response has an empty status and an `error_type` (`timeout`,
 * `connection_refused`, …); otherwise `error_type` is empty.
 *
 * The kit defines only gRPC client metrics; this one lives here because the
 * gateway is the only HTTP client on a hot path. Label children are bound
 * once and cached: a call costs two Map lookups and one `observe`.
 */
import { HTTP_DURATION_BUCKETS, methodLabel, type MetricsRegistry } from '@flotilla/telemetry';

type BoundObserve = { observe(value: number): void };
/** The histogram, as far as binding label values goes (prom-client's type stays the kit's business). */
type LabelledHistogram = { labels(...values: string[]): BoundObserve };

export const HTTP_CLIENT_DURATION = 'http_client_request_duration_seconds';

/** The series of one upstream instance, children cached by method and by status (or error type). */
export class UpstreamInstanceSeries {
  private readonly duration: LabelledHistogram;
  readonly upstream: string;
  readonly serverAddress: string;
  private readonly byMethod = new Map<string, Map<number | string, BoundObserve>>();

  constructor(duration: LabelledHistogram, upstream: string, serverAddress: string) {
    this.duration = duration;
    this.upstream = upstream;
    this.serverAddress = serverAddress;
  }

  /** `outcome`: the response status, or an error type when no response came. */
  observe(method: string, outcome: number | string, seconds: number): void {
    let byOutcome = this.byMethod.get(method);
    if (byOutcome === undefined) {
      byOutcome = new Map();
      this.byMethod.set(method, byOutcome);
    }
    let child = byOutcome.get(outcome);
    if (child === undefined) {
      const status = typeof outcome === 'number' ? String(outcome) : '';
      const errorType = typeof outcome === 'number' ? '' : outcome;
      child = this.duration.labels(this.upstream, this.serverAddress, methodLabel(method), status, errorType);
      byOutcome.set(outcome, child);
    }
    child.observe(seconds);
  }
}

export class UpstreamMetrics {
  private readonly duration: LabelledHistogram;

  constructor(registry: MetricsRegistry) {
    this.duration = registry.histogram({
      name: HTTP_CLIENT_DURATION,
      help: 'Duration of HTTP requests the gateway made to upstreams, by upstream, instance, method and status code (or error type).',
      labelNames: ['upstream', 'server_address', 'http_request_method', 'http_response_status_code', 'error_type'],
      buckets: HTTP_DURATION_BUCKETS,
    });
  }

  instance(upstream: string, serverAddress: string): UpstreamInstanceSeries {
    return new UpstreamInstanceSeries(this.duration, upstream, serverAddress);
  }
}
