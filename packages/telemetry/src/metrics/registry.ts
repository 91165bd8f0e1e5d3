/**
 * MetricsRegistry: the one prom-client registry of a service, and the only
 * way kit parts (HTTP, gRPC, database, breakers, rate limits, the gateway)
 * create metrics. Creation is get-or-create by name, so two parts asking for
 * the same metric share it instead of failing with "already registered";
 * asking for a name with another type or other labels is a programming error
 * and throws at start-up rather than producing a broken exposition.
 */
import {
  type Aggregator,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type CounterConfiguration,
  type GaugeConfiguration,
  type HistogramConfiguration,
  type Metric,
} from 'prom-client';
import { type GroupAggregation, type MetricsSnapshot, PER_WORKER, WorkerGroupMetrics } from './worker-group.ts';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

export interface MetricSpec<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
}

export interface GaugeSpec<L extends string> extends MetricSpec<L> {
  /** Called at scrape time to refresh the value (pool sizes, queue depths…). Only the first creator's callback is kept. */
  collect?: (this: Gauge<L>) => void | Promise<void>;
  /**
   * How the gauge is merged when several worker processes answer as one
   * (`worker-group.ts`): `sum` (in flight, in use), `max`, `min`, `average`,
   * `first` (the same in every worker), `omit`; by default one series per
   * worker, labelled `worker`.
   */
  aggregator?: GroupAggregation;
}

export interface CounterSpec<L extends string> extends MetricSpec<L> {
  /** Called at scrape time, e.g. to add counts kept in plain numbers on a hot path. Only the first creator's callback is kept. */
  collect?: (this: Counter<L>) => void | Promise<void>;
}

export interface HistogramSpec<L extends string> extends MetricSpec<L> {
  /** Upper bounds in the metric's base unit (seconds, bytes). */
  buckets?: readonly number[];
}

type Kind = 'counter' | 'gauge' | 'histogram';

interface Entry {
  kind: Kind;
  labels: string;
  metric: Metric;
}

export class MetricsRegistry {
  /** The prom-client registry; exposed for what this class does not cover (default metrics, custom collectors). */
  readonly registry = new Registry();
  private readonly entries = new Map<string, Entry>();
  private groupView: (() => Promise<string>) | undefined;

  /** Merges the snapshots of a group of workers into one exposition (the group's primary keeps one). */
  static workerGroup(): WorkerGroupMetrics {
    return new WorkerGroupMetrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  counter<L extends string = never>(spec: CounterSpec<L>): Counter<L> {
    return this.getOrCreate(
      'counter',
      spec,
      () =>
        new Counter<L>({
          ...this.base(spec),
          ...(spec.collect === undefined ? {} : { collect: spec.collect }),
        } as CounterConfiguration<L>),
    ) as Counter<L>;
  }

  gauge<L extends string = never>(spec: GaugeSpec<L>): Gauge<L> {
    return this.getOrCreate(
      'gauge',
      spec,
      () =>
        new Gauge<L>({
          ...this.base(spec),
          ...(spec.collect === undefined ? {} : { collect: spec.collect }),
          // prom-client carries the value into its JSON; worker-group.ts reads it (PER_WORKER is ours).
          aggregator: (spec.aggregator ?? PER_WORKER) as Aggregator,
        } as GaugeConfiguration<L>),
    ) as Gauge<L>;
  }

  histogram<L extends string = never>(spec: HistogramSpec<L>): Histogram<L> {
    return this.getOrCreate(
      'histogram',
      spec,
      () =>
        new Histogram<L>({
          ...this.base(spec),
          ...(spec.buckets === undefined ? {} : { buckets: [...spec.buckets] }),
        } as HistogramConfiguration<L>),
    ) as Histogram<L>;
  }

  /** The metric registered under `name`, if any. */
  get(name: string): Metric | undefined {
    return this.entries.get(name)?.metric ?? this.registry.getSingleMetric(name);
  }

  /** The Prometheus text exposition of every metric: of the whole group in a worker that serves a group view. */
  metrics(): Promise<string> {
    return this.groupView === undefined ? this.registry.metrics() : this.groupView();
  }

  /** This process's metrics as plain JSON, for a group's primary to merge. */
  snapshot(): Promise<MetricsSnapshot> {
    return this.registry.getMetricsAsJSON();
  }

  /** In a worker of a process group: `metrics()` (so `/metrics`) answers for the whole group through `view`. */
  serveGroupView(view: (() => Promise<string>) | undefined): void {
    this.groupView = view;
  }

  private base<L extends string>(spec: MetricSpec<L>) {
    return { name: spec.name, help: spec.help, labelNames: [...(spec.labelNames ?? [])], registers: [this.registry] };
  }

  private getOrCreate<L extends string>(kind: Kind, spec: MetricSpec<L>, create: () => Metric): Metric {
    if (!METRIC_NAME.test(spec.name)) throw new Error(`Invalid metric name "${spec.name}"`);
    const labels = [...(spec.labelNames ?? [])].sort().join(',');
    const existing = this.entries.get(spec.name);
    if (existing !== undefined) {
      if (existing.kind !== kind || existing.labels !== labels) {
        throw new Error(
          `Metric ${spec.name} is already registered as a ${existing.kind} with labels [${existing.labels}]; cannot register it as a ${kind} with labels [${labels}]`,
        );
      }
      return existing.metric;
    }
    if (this.registry.getSingleMetric(spec.name) !== undefined)
      throw new Error(`Metric ${spec.name} is already registered outside MetricsRegistry`);
    const metric = create();
    this.entries.set(spec.name, { kind, labels, metric });
    return metric;
  }
}
