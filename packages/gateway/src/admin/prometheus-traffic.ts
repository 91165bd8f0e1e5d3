/**
 * The traffic history from Prometheus, when the gateway's config names one
 * (`console.prometheus`): the same figures the in-process sampler derives
 * (rate, error share, p50 and p99 per route and per upstream), from the
 * gateway's histograms as Prometheus scraped them — every gateway instance
 * and worker summed, and kept across restarts. Nine `query_range` calls at
 * once, each bounded in time; the gateway's own routes only.
 */
import { request } from 'undici';
import type { TrafficKind, TrafficPoint, TrafficSeries } from './traffic-sampler.ts';
import { HTTP_SERVER_DURATION } from './traffic-sampler.ts';
import { HTTP_CLIENT_DURATION } from '../proxy/upstream-metrics.ts';

export interface PrometheusTrafficOptions {
  /** Base URL of the Prometheus HTTP API (`http://prometheus:9090`). */
  url: string;
  /** Label matchers that pick the gateway's series, e.g. `service="gateway"`. */
  selector: string;
  windowMs: number;
  stepSeconds: number;
  timeoutMs?: number;
}

type Figure = 'rate' | 'errors' | 'p50' | 'p99';

interface Query {
  kind: TrafficKind;
  figure: Figure;
  promql: string;
}

interface Matrix {
  status: string;
  error?: string;
  data?: { resultType: string; result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> };
}

const LABEL: Record<TrafficKind, string> = { route: 'http_route', upstream: 'upstream' };
const METRIC: Record<TrafficKind, string> = { route: HTTP_SERVER_DURATION, upstream: HTTP_CLIENT_DURATION };
// A failed upstream call: no answer (except the gateway giving up itself), or a 5xx.
const FAILED: Record<TrafficKind, string[]> = {
  route: ['http_response_status_code=~"5.."'],
  upstream: ['error_type!~"|cancelled"', 'error_type="",http_response_status_code=~"5.."'],
};

/** The PromQL of every figure, for the selector given (exported for the unit test). */
export function trafficQueries(selector: string, rateWindow: string): Query[] {
  const match = (...more: string[]) => `{${[selector, ...more].filter((m) => m !== '').join(',')}}`;
  const queries: Query[] = [];
  for (const kind of ['route', 'upstream'] as const) {
    const by = LABEL[kind];
    const metric = METRIC[kind];
    queries.push({ kind, figure: 'rate', promql: `sum by (${by}) (rate(${metric}_count${match()}[${rateWindow}]))` });
    for (const failed of FAILED[kind])
      queries.push({ kind, figure: 'errors', promql: `sum by (${by}) (rate(${metric}_count${match(failed)}[${rateWindow}]))` });
    for (const [figure, q] of [
      ['p50', '0.5'],
      ['p99', '0.99'],
    ] as const)
      queries.push({
        kind,
        figure,
        promql: `histogram_quantile(${q}, sum by (${by}, le) (rate(${metric}_bucket${match()}[${rateWindow}])))`,
      });
  }
  return queries;
}

export class PrometheusTraffic {
  readonly #options: PrometheusTrafficOptions;

  constructor(options: PrometheusTrafficOptions) {
    this.#options = options;
  }

  /** Series for the keys `keep` accepts, oldest point first; throws when Prometheus cannot answer. */
  async series(keep: (kind: TrafficKind, key: string) => boolean, now = Date.now()): Promise<TrafficSeries[]> {
    const { windowMs, stepSeconds } = this.#options;
    const end = Math.floor(now / 1000);
    const start = end - Math.floor(windowMs / 1000);
    // At least four scrapes of the usual 15 s interval in every rate, as Grafana's $__rate_interval does.
    const rateWindow = `${Math.max(60, stepSeconds * 4)}s`;
    const queries = trafficQueries(this.#options.selector, rateWindow);
    const answers = await Promise.all(queries.map((query) => this.#range(query.promql, start, end, stepSeconds)));
    const byKey = new Map<string, { kind: TrafficKind; key: string; points: Map<number, TrafficPoint> }>();
    queries.forEach((query, index) => {
      for (const result of answers[index] ?? []) {
        const key = result.metric[LABEL[query.kind]] ?? '';
        if (!keep(query.kind, key)) continue;
        const id = `${query.kind} ${key}`;
        let entry = byKey.get(id);
        if (entry === undefined) {
          entry = { kind: query.kind, key, points: new Map() };
          byKey.set(id, entry);
        }
        for (const [seconds, text] of result.values) {
          const t = Math.round(seconds * 1000);
          let point = entry.points.get(t);
          if (point === undefined) {
            point = { t, rate: 0, errorRate: 0, p50: null, p99: null };
            entry.points.set(t, point);
          }
          const value = Number(text);
          if (!Number.isFinite(value)) continue;
          if (query.figure === 'rate') point.rate = value;
          // Errors arrive as a rate and become a share once the rate is known (below).
          else if (query.figure === 'errors') point.errorRate += value;
          else point[query.figure] = value;
        }
      }
    });
    return [...byKey.values()]
      .map(({ kind, key, points }) => ({
        kind,
        key,
        points: [...points.values()]
          .sort((a, b) => a.t - b.t)
          .map((p) => ({ ...p, errorRate: p.rate > 0 ? Math.min(1, p.errorRate / p.rate) : 0 })),
      }))
      .sort((a, b) => a.kind.localeCompare(b.kind) || a.key.localeCompare(b.key));
  }

  async #range(promql: string, start: number, end: number, step: number): Promise<NonNullable<Matrix['data']>['result']> {
    const query = new URLSearchParams({ query: promql, start: String(start), end: String(end), step: `${step}s` });
    const response = await request(`${this.#options.url.replace(/\/+$/, '')}/api/v1/query_range?${query}`, {
      signal: AbortSignal.timeout(this.#options.timeoutMs ?? 5_000),
      headers: { accept: 'application/json' },
    });
    const body = (await response.body.json()) as Matrix;
    if (response.statusCode !== 200 || body.status !== 'success' || body.data === undefined)
      throw new Error(`Prometheus answered ${response.statusCode}${body.error === undefined ? '' : `: ${body.error}`}`);
    return body.data.result;
  }
}
