/**
 * A database's telemetry in a service: the Kysely `log` hook recording each
 * query's duration and span, and the pool gauges read at scrape time, both
 * on the service's registry and tracer.
 */
import type { LogEvent } from 'kysely';
import type { ServiceTelemetry } from '@flotilla/telemetry';
import { DatabaseMetrics } from './metrics.ts';
import type { PoolStats } from './pool.ts';
import { databaseQueryLogger, databaseTarget, dbSystemName } from './query-telemetry.ts';

export interface DatabaseTelemetry {
  /** Kysely's `log` option. */
  readonly log: (event: LogEvent) => void;
  /** Registers the pool gauges (nothing when metrics are off). */
  watchPool(stats: () => PoolStats): void;
}

export function databaseTelemetry(telemetry: ServiceTelemetry, dsn: string): DatabaseTelemetry {
  const { dialect, server } = databaseTarget(dsn);
  const on = telemetry.settings.metrics.enabled;
  const metrics = on ? new DatabaseMetrics(telemetry.metrics, dbSystemName(dialect)) : undefined;
  return {
    log: databaseQueryLogger({
      dialect,
      ...(metrics === undefined ? {} : { metrics }),
      ...(telemetry.tracing === undefined ? {} : { tracing: telemetry.tracing }),
      ...(server === undefined ? {} : { server }),
    }),
    watchPool(stats) {
      if (on) DatabaseMetrics.watchPool(telemetry.metrics, stats);
    },
  };
}
