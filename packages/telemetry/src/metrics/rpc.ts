/**
 * gRPC metrics, OpenTelemetry RPC semantic-convention names with underscores:
 *   rpc_server_duration_seconds{rpc_service, rpc_method, rpc_grpc_status_code}
 *   rpc_client_duration_seconds{rpc_service, rpc_method, rpc_grpc_status_code, server_address}
 * `rpc_grpc_status_code` is the numeric code (0 = OK, 14 = UNAVAILABLE…), as
 * the convention defines it. `server_address` is the target the client
 * resolved (host:port) — bounded by the instances of the upstream.
 */
import type { Histogram } from 'prom-client';
import { HTTP_DURATION_BUCKETS } from './http-server.ts';
import type { MetricsRegistry } from './registry.ts';

type ServerLabels = 'rpc_service' | 'rpc_method' | 'rpc_grpc_status_code';
type ClientLabels = ServerLabels | 'server_address';
type BoundObserve = { observe(value: number): void };

/** One method's series, label children cached by status code. */
export class RpcMethodSeries {
  private readonly bind: (code: string) => BoundObserve;
  private readonly byCode = new Map<number, BoundObserve>();

  constructor(bind: (code: string) => BoundObserve) {
    this.bind = bind;
  }

  observe(code: number, seconds: number): void {
    let child = this.byCode.get(code);
    if (child === undefined) {
      child = this.bind(String(code));
      this.byCode.set(code, child);
    }
    child.observe(seconds);
  }
}

export class RpcServerMetrics {
  readonly duration: Histogram<ServerLabels>;
  private readonly methods = new Map<string, RpcMethodSeries>();

  constructor(registry: MetricsRegistry) {
    this.duration = registry.histogram({
      name: 'rpc_server_duration_seconds',
      help: 'Duration of gRPC calls served, by service, method and status code.',
      labelNames: ['rpc_service', 'rpc_method', 'rpc_grpc_status_code'],
      buckets: HTTP_DURATION_BUCKETS,
    });
  }

  /** The cached series of "/pkg.Service/Method". */
  method(service: string, method: string): RpcMethodSeries {
    const key = `${service}/${method}`;
    let series = this.methods.get(key);
    if (series === undefined) {
      series = new RpcMethodSeries((code) => this.duration.labels(service, method, code));
      this.methods.set(key, series);
    }
    return series;
  }
}

export class RpcClientMetrics {
  readonly duration: Histogram<ClientLabels>;
  private readonly methods = new Map<string, RpcMethodSeries>();

  constructor(registry: MetricsRegistry) {
    this.duration = registry.histogram({
      name: 'rpc_client_duration_seconds',
      help: 'Duration of outbound gRPC calls, by service, method, status code and server.',
      labelNames: ['rpc_service', 'rpc_method', 'rpc_grpc_status_code', 'server_address'],
      buckets: HTTP_DURATION_BUCKETS,
    });
  }

  method(service: string, method: string, server: string): RpcMethodSeries {
    const key = `${server} ${service}/${method}`;
    let series = this.methods.get(key);
    if (series === undefined) {
      series = new RpcMethodSeries((code) => this.duration.labels(service, method, code, server));
      this.methods.set(key, series);
    }
    return series;
  }
}
