/**
 * One exposition for a group of worker processes serving the same ports:
 * whichever worker Prometheus reaches answers for all of them. Each worker
 * hands over a snapshot of its registry (`MetricsRegistry#snapshot()`, plain
 * JSON that crosses the IPC channel); the group's primary merges them with
 * prom-client's cluster aggregators:
 *
 * - counters and histograms are summed; those of workers that have gone are
 *   kept (their last snapshot), so a group counter never goes down when a
 *   worker is replaced (Prometheus would read that as a reset);
 * - a gauge is merged as its creator chose (`aggregator`, see
 *   `GaugeSpec.aggregator`): summed (requests in flight), one value (a
 *   constant), min, max, average, or, the default for gauges made through
 *   `MetricsRegistry`, one series per worker under a `worker` label (a
 *   breaker's state or a pool size read per process; PromQL can sum or max
 *   them). Gauges of workers that have gone are dropped.
 */
import { AggregatorRegistry, type Aggregator, type MetricObjectWithValues, type MetricValue } from 'prom-client';

/** A worker's metrics as `Registry#getMetricsAsJSON()` gives them. */
export type MetricsSnapshot = MetricObjectWithValues<MetricValue<string>>[];

/** How a metric is merged across workers: prom-client's aggregators, or one series per worker. */
export type GroupAggregation = Aggregator | typeof PER_WORKER;

/** The aggregator value meaning "one series per worker, labelled". */
export const PER_WORKER = 'perWorker';
/** The label that tells the workers' series of a per-worker gauge apart: the worker's slot (1…N), stable across replacements. */
export const WORKER_LABEL = 'worker';

export interface WorkerSnapshot {
  /** The worker's slot in the group (1…N). */
  worker: string;
  metrics: MetricsSnapshot;
}

export class WorkerGroupMetrics {
  /** Counters and histograms of the workers that have gone, summed. */
  #retired: MetricsSnapshot = [];

  /** A worker has gone: its counters and histograms stay in the group's totals. */
  retire(snapshot: MetricsSnapshot): void {
    const kept = snapshot.filter(monotonic);
    if (kept.length === 0) return;
    this.#retired = merge([this.#retired, kept]);
  }

  /** The Prometheus text exposition of the group: the live workers' snapshots plus what retired ones counted. */
  async render(workers: readonly WorkerSnapshot[]): Promise<string> {
    const live = workers.map(({ worker, metrics }) => metrics.map((metric) => labelled(metric, worker)));
    return AggregatorRegistry.aggregate([...live, this.#retired]).metrics();
  }
}

function monotonic(metric: MetricObjectWithValues<MetricValue<string>>): boolean {
  const type = metric.type as unknown as string;
  return (type === 'counter' || type === 'histogram') && (metric.aggregator ?? 'sum') === 'sum';
}

/** A per-worker gauge gets the worker's label, so summing it keeps one series per worker. */
function labelled(metric: MetricObjectWithValues<MetricValue<string>>, worker: string): MetricObjectWithValues<MetricValue<string>> {
  if ((metric.aggregator as string) !== PER_WORKER) return metric;
  return {
    ...metric,
    aggregator: 'sum',
    values: metric.values.map((value) => ({ ...value, labels: { ...value.labels, [WORKER_LABEL]: worker } })),
  };
}

function merge(snapshots: MetricsSnapshot[]): MetricsSnapshot {
  const merged: MetricsSnapshot = [];
  // aggregate() keeps each merged metric behind get(); read them back as plain JSON.
  for (const metric of AggregatorRegistry.aggregate(snapshots).getMetricsAsArray()) {
    merged.push((metric as unknown as { get(): MetricObjectWithValues<MetricValue<string>> }).get());
  }
  return merged;
}
