/**
 * MetricsRegistry: the one prom-client registry of a service, and the only
 * way kit parts (HTTP, gRPC, database, breakers, rate limits, the gateway)
 * create metrics. Creation is get-or-create by name, so two parts asking for
 * the same metric share it instead of failing with "already registered";
 * asking for a name with another type or other labels is a programming error
 * and throws at start-up rather than producing a broken exposition.
 */
import {
  Counter,
  Gauge,
  Histogram,
  Registry,
  type CounterConfiguration,
  type GaugeConfiguration,
  type HistogramConfiguration,
  type Metric,
} from 'prom-client';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

export interface MetricSpec<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
}

export interface GaugeSpec<L extends string> extends MetricSpec<L> {
  /** Called at scrape time to refresh the value (pool sizes, queue depths…). Only the first creator's callback is kept. */
  collect?: (this: Gauge<L>) => void | Promise<void>;
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

  /** The Prometheus text exposition of every metric. */
  metrics(): Promise<string> {
    return this.registry.metrics();
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
