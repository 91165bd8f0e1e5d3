/**
 * The primary's side of `/metrics` for a group: when a worker is scraped, it
 * asks the primary, which collects a snapshot from every live worker and
 * merges them (`MetricsRegistry.workerGroup()` in @flotilla/telemetry: sums,
 * per-worker gauges, and the counters of workers that have gone).
 */
import { MetricsRegistry } from '@flotilla/telemetry';
import type { MetricsSnapshot, ToWorker } from './messages.ts';

/** A worker as the metrics see it. */
export interface MetricsMember {
  readonly slot: number;
  /** Ready workers answer collections; starting ones have nothing to say yet. */
  readonly answering: boolean;
  send(message: ToWorker): void;
  /** Its latest snapshot: used when it does not answer in time, and kept when it dies. */
  lastSnapshot: MetricsSnapshot | undefined;
  /** Its counters are in the retired totals (it sent its final figures, or died). */
  retired: boolean;
}

/** A collection waits this long for the slowest worker, then uses its last snapshot. */
const COLLECTION_BOUND_MS = 5_000;

interface Collection {
  members: Set<MetricsMember>;
  waiting: Set<MetricsMember>;
  timer: NodeJS.Timeout;
  done: () => void;
}

export class GroupMetrics {
  readonly #merged = MetricsRegistry.workerGroup();
  readonly #collections = new Map<number, Collection>();
  #nextId = 0;

  /** The group's exposition, from a fresh snapshot of each answering worker. */
  collect(members: Iterable<MetricsMember>): Promise<string> {
    const id = this.#nextId++;
    const asked = [...members].filter((m) => m.answering && !m.retired);
    return new Promise<void>((resolve) => {
      const collection: Collection = {
        members: new Set(asked),
        waiting: new Set(asked),
        timer: setTimeout(() => finish(), COLLECTION_BOUND_MS),
        done: () => finish(),
      };
      const finish = (): void => {
        clearTimeout(collection.timer);
        this.#collections.delete(id);
        resolve();
      };
      this.#collections.set(id, collection);
      if (asked.length === 0) finish();
      for (const member of asked) member.send({ flotilla: 'collect-metrics', id });
    }).then(() =>
      this.#merged.render(
        asked
          .filter((m) => !m.retired && m.lastSnapshot !== undefined)
          .map((m) => ({ worker: String(m.slot), metrics: m.lastSnapshot as MetricsSnapshot })),
      ),
    );
  }

  /** A worker's answer to collection `id`. */
  answered(member: MetricsMember, id: number, snapshot: MetricsSnapshot | undefined): void {
    if (snapshot !== undefined) member.lastSnapshot = snapshot;
    this.#settle(member, id);
  }

  /** The worker's figures after its servers stopped: they join the retired totals. */
  final(member: MetricsMember, snapshot: MetricsSnapshot): void {
    if (member.retired) return;
    member.retired = true;
    this.#merged.retire(snapshot);
    this.#forget(member);
  }

  /** The worker is gone; without final figures, its last snapshot is what it counted. */
  gone(member: MetricsMember): void {
    if (!member.retired) {
      member.retired = true;
      if (member.lastSnapshot !== undefined) this.#merged.retire(member.lastSnapshot);
    }
    this.#forget(member);
  }

  #settle(member: MetricsMember, id: number): void {
    const collection = this.#collections.get(id);
    if (collection === undefined) return;
    collection.waiting.delete(member);
    if (collection.waiting.size === 0) collection.done();
  }

  #forget(member: MetricsMember): void {
    for (const [id, collection] of this.#collections) if (collection.waiting.has(member)) this.#settle(member, id);
  }
}
