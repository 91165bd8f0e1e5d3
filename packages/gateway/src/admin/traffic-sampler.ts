/**
 * Traffic per route and per upstream over the last 15 minutes, derived from
 * the gateway's own Prometheus histograms (`http_server_request_duration_seconds`
 * by route pattern, `http_client_request_duration_seconds` by upstream): every
 * interval the running totals are read and the difference from the last
 * reading becomes one point (rate, error share, p50, p99).
 *
 * It runs only while someone looks: while a stream listens, or for a while
 * after a GET. A gateway without a console open reads nothing and keeps no
 * timer, and the routed path never knows the sampler exists (it only reads
 * what the metrics already record). `flotilla_gateway_traffic_sampling` says
 * whether it runs.
 */
import type { MetricsRegistry } from '@flotilla/telemetry';
import { HTTP_CLIENT_DURATION } from '../proxy/upstream-metrics.ts';
import { emptyTotals, intervalFigures, type IntervalFigures, type Totals } from './histogram-totals.ts';

export const HTTP_SERVER_DURATION = 'http_server_request_duration_seconds';

export type TrafficKind = 'route' | 'upstream';

export interface TrafficPoint extends IntervalFigures {
  t: number;
}

export interface TrafficEntry extends IntervalFigures {
  key: string;
  kind: TrafficKind;
}

export interface TrafficSample {
  t: number;
  entries: TrafficEntry[];
}

export interface TrafficSeries {
  key: string;
  kind: TrafficKind;
  points: TrafficPoint[];
}

export interface TrafficSamplerOptions {
  metrics: MetricsRegistry;
  /** The route patterns of the current route table (only those are the gateway's routes). */
  routes(): ReadonlySet<string>;
  intervalMs?: number;
  windowMs?: number;
  /** How long a GET keeps the sampler running without a stream. */
  lingerMs?: number;
}

export const TRAFFIC_INTERVAL_MS = 5_000;
export const TRAFFIC_WINDOW_MS = 15 * 60_000;
export const TRAFFIC_LINGER_MS = 2 * 60_000;

interface HistogramValue {
  labels: Record<string, string | number | undefined>;
  value: number;
  metricName?: string;
}
type ReadableHistogram = { get(): Promise<{ values: HistogramValue[] }> };

interface Keyed {
  key: string;
  kind: TrafficKind;
  totals: Totals;
}

export class TrafficSampler {
  readonly intervalMs: number;
  readonly windowMs: number;
  readonly #options: TrafficSamplerOptions;
  readonly #lingerMs: number;
  readonly #series = new Map<string, TrafficSeries>();
  readonly #listeners = new Set<(sample: TrafficSample) => void>();
  readonly #sampling: { set(value: number): void };
  #timer: NodeJS.Timeout | undefined;
  #previous: { at: number; totals: Map<string, Keyed> } | undefined;
  #latest: TrafficSample | undefined;
  #lingerUntil = 0;
  #reading = false;
  #closed = false;

  constructor(options: TrafficSamplerOptions) {
    this.#options = options;
    this.intervalMs = options.intervalMs ?? TRAFFIC_INTERVAL_MS;
    this.windowMs = options.windowMs ?? TRAFFIC_WINDOW_MS;
    this.#lingerMs = options.lingerMs ?? TRAFFIC_LINGER_MS;
    this.#sampling = options.metrics.gauge({
      name: 'flotilla_gateway_traffic_sampling',
      help: 'Whether the admin traffic sampler runs now (1 while a traffic stream is open or shortly after GET /admin/traffic).',
      aggregator: 'max',
    });
    this.#sampling.set(0);
  }

  get running(): boolean {
    return this.#timer !== undefined;
  }

  /** A GET asked: run (or keep running) for `lingerMs` more. */
  touch(): void {
    this.#lingerUntil = Date.now() + this.#lingerMs;
    this.#start();
  }

  /** Calls `listener` with every sample until unsubscribed; the sampler runs while anyone listens. */
  subscribe(listener: (sample: TrafficSample) => void): () => void {
    this.#listeners.add(listener);
    this.#start();
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** The last sample, if the sampler ran. */
  latest(): TrafficSample | undefined {
    return this.#latest;
  }

  /** Every key's points within the window, oldest first. */
  series(): TrafficSeries[] {
    this.#prune(Date.now());
    return [...this.#series.values()]
      .map((series) => ({ key: series.key, kind: series.kind, points: [...series.points] }))
      .sort((a, b) => a.kind.localeCompare(b.kind) || a.key.localeCompare(b.key));
  }

  close(): void {
    this.#closed = true;
    this.#listeners.clear();
    this.#stop();
  }

  #start(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = setInterval(() => void this.#tick(), this.intervalMs);
    this.#timer.unref();
    this.#sampling.set(1);
    void this.#tick();
  }

  #stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    // A later start measures from a fresh reading, not across the pause.
    this.#previous = undefined;
    this.#sampling.set(0);
  }

  async #tick(): Promise<void> {
    if (this.#reading) return;
    this.#reading = true;
    try {
      const at = Date.now();
      const totals = await this.#read();
      if (this.#timer === undefined) return;
      const previous = this.#previous;
      this.#previous = { at, totals };
      if (previous !== undefined) this.#record(at, (at - previous.at) / 1000, previous.totals, totals);
      if (this.#listeners.size === 0 && Date.now() >= this.#lingerUntil) this.#stop();
    } finally {
      this.#reading = false;
    }
  }

  #record(at: number, seconds: number, before: Map<string, Keyed>, after: Map<string, Keyed>): void {
    const entries: TrafficEntry[] = [];
    for (const [id, { key, kind, totals }] of after) {
      const figures = intervalFigures(before.get(id)?.totals, totals, seconds);
      entries.push({ key, kind, ...figures });
      let series = this.#series.get(id);
      if (series === undefined) {
        series = { key, kind, points: [] };
        this.#series.set(id, series);
      }
      series.points.push({ t: at, ...figures });
    }
    this.#prune(at);
    const sample = { t: at, entries };
    this.#latest = sample;
    for (const listener of this.#listeners) listener(sample);
  }

  #prune(now: number): void {
    const oldest = now - this.windowMs;
    for (const [id, series] of this.#series) {
      while (series.points.length > 0 && (series.points[0] as TrafficPoint).t < oldest) series.points.shift();
      if (series.points.length === 0) this.#series.delete(id);
    }
  }

  async #read(): Promise<Map<string, Keyed>> {
    const out = new Map<string, Keyed>();
    const routes = this.#options.routes();
    const add = (kind: TrafficKind, key: string, value: HistogramValue, failed: boolean): void => {
      const id = `${kind} ${key}`;
      let keyed = out.get(id);
      if (keyed === undefined) {
        keyed = { key, kind, totals: emptyTotals() };
        out.set(id, keyed);
      }
      const totals = keyed.totals;
      const name = value.metricName ?? '';
      if (name.endsWith('_count')) {
        totals.count += value.value;
        if (failed) totals.errors += value.value;
      } else if (name.endsWith('_bucket')) {
        const le = value.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(value.labels.le);
        totals.buckets.set(le, (totals.buckets.get(le) ?? 0) + value.value);
      }
    };
    for (const value of await valuesOf(this.#options.metrics, HTTP_SERVER_DURATION)) {
      const route = String(value.labels.http_route ?? '');
      if (routes.has(route)) add('route', route, value, Number(value.labels.http_response_status_code) >= 500);
    }
    for (const value of await valuesOf(this.#options.metrics, HTTP_CLIENT_DURATION)) {
      const errorType = String(value.labels.error_type ?? '');
      // `cancelled`: the gateway gave up (the client left), not the upstream's failure.
      const failed = (errorType !== '' && errorType !== 'cancelled') || Number(value.labels.http_response_status_code) >= 500;
      add('upstream', String(value.labels.upstream ?? ''), value, failed);
    }
    return out;
  }
}

async function valuesOf(metrics: MetricsRegistry, name: string): Promise<HistogramValue[]> {
  const metric = metrics.get(name) as ReadableHistogram | undefined;
  return metric === undefined ? [] : (await metric.get()).values;
}
