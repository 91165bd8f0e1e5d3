/**
 * Database metrics, OpenTelemetry database semantic-convention names:
 *   db_client_operation_duration_seconds{db_system_name, db_operation_name, db_collection_name, error_type}
 *   db_client_connection_count{state="idle|used"}
 *   db_client_connection_pending_requests
 * Durations come from Kysely's `log` hook (every query, failed ones too);
 * pool gauges are read from `Database.poolStats()` at scrape time.
 */
import type { Histogram } from 'prom-client';
import type { MetricsRegistry } from '@flotilla/telemetry';
import type { PoolStats } from './pool.ts';

/** OpenTelemetry's advisory buckets for db.client.operation.duration, in seconds. */
export const DB_DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10] as const;

type Labels = 'db_system_name' | 'db_operation_name' | 'db_collection_name' | 'error_type';
type BoundObserve = { observe(value: number): void };

export class DatabaseMetrics {
  readonly system: string;
  readonly duration: Histogram<Labels>;
  private readonly children = new Map<string, BoundObserve>();

  constructor(registry: MetricsRegistry, system: string) {
    this.system = system;
    this.duration = registry.histogram({
      name: 'db_client_operation_duration_seconds',
      help: 'Duration of database operations, by system, operation, table and error.',
      labelNames: ['db_system_name', 'db_operation_name', 'db_collection_name', 'error_type'],
      buckets: DB_DURATION_BUCKETS,
    });
  }

  /** `collection` is a table name from the query tree (bounded by the schema), or '' when there is none. */
  observe(operation: string, collection: string, errorType: string, seconds: number): void {
    const key = `${operation} ${collection} ${errorType}`;
    let child = this.children.get(key);
    if (child === undefined) {
      child = this.duration.labels(this.system, operation, collection, errorType);
      this.children.set(key, child);
    }
    child.observe(seconds);
  }

  /** Pool gauges read at scrape time. Registered once per registry: one database per service. */
  static watchPool(registry: MetricsRegistry, stats: () => PoolStats): void {
    registry.gauge({
      name: 'db_client_connection_count',
      help: 'Open database connections, by state (idle or used).',
      labelNames: ['state'],
      collect() {
        const current = stats();
        this.set({ state: 'idle' }, current.idle);
        this.set({ state: 'used' }, Math.max(0, current.total - current.idle));
      },
    });
    registry.gauge({
      name: 'db_client_connection_pending_requests',
      help: 'Callers waiting for a database connection.',
      collect() {
        this.set(stats().waiting);
      },
    });
  }
}
