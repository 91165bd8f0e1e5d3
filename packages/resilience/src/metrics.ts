/**
 * The resilience metrics, all labelled by `upstream`, created get-or-create
 * in a service's MetricsRegistry (telemetry.metrics) so every policy of a
 * process shares one series set. `flotilla_breaker_state` is used by the
 * alert rules and the dashboard under deploy/observability: keep its name
 * and values.
 */
import type { Counter, Gauge } from 'prom-client';
import type { MetricsRegistry } from '@flotilla/telemetry';

export interface BreakerInstruments {
  /** 0 closed, 1 throttling, 2 open. */
  state: Gauge<'upstream'>;
  probability: Gauge<'upstream'>;
  rejections: Counter<'upstream'>;
}

export function breakerInstruments(registry: MetricsRegistry, collect: () => void): BreakerInstruments {
  return {
    state: registry.gauge({
      name: 'flotilla_breaker_state',
      help: 'Circuit breaker state per upstream: 0 closed, 1 throttling (rejecting a share), 2 open (rejecting nearly all)',
      labelNames: ['upstream'],
      collect,
    }),
    probability: registry.gauge({
      name: 'flotilla_breaker_reject_probability',
      help: 'Share of calls the adaptive breaker rejects now (0..1)',
      labelNames: ['upstream'],
    }),
    rejections: registry.counter({
      name: 'flotilla_breaker_rejections_total',
      help: 'Calls the circuit breaker rejected without sending them',
      labelNames: ['upstream'],
    }),
  };
}

export interface RetryInstruments {
  /** One per retry attempt, by how that attempt ended: outcome="success" | "failure". */
  retries: Counter<'upstream' | 'outcome'>;
  budgetExhausted: Counter<'upstream'>;
}

export function retryInstruments(registry: MetricsRegistry): RetryInstruments {
  return {
    retries: registry.counter({
      name: 'flotilla_retries_total',
      help: 'Retry attempts by outcome (success, failure)',
      labelNames: ['upstream', 'outcome'],
    }),
    budgetExhausted: registry.counter({
      name: 'flotilla_retry_budget_exhausted_total',
      help: 'Retries not made because the retry budget was spent',
      labelNames: ['upstream'],
    }),
  };
}

export interface BulkheadInstruments {
  inFlight: Gauge<'upstream'>;
  queued: Gauge<'upstream'>;
  rejections: Counter<'upstream'>;
}

/** `collect` publishes the current figures: it runs when the registry is scraped. */
export function bulkheadInstruments(registry: MetricsRegistry, collect?: () => void): BulkheadInstruments {
  return {
    inFlight: registry.gauge({
      name: 'flotilla_bulkhead_in_flight',
      help: 'Calls running through the bulkhead',
      labelNames: ['upstream'],
      ...(collect === undefined ? {} : { collect }),
    }),
    queued: registry.gauge({
      name: 'flotilla_bulkhead_queued',
      help: 'Calls waiting for a bulkhead slot',
      labelNames: ['upstream'],
    }),
    rejections: registry.counter({
      name: 'flotilla_bulkhead_rejections_total',
      help: 'Calls rejected because the bulkhead and its queue were full',
      labelNames: ['upstream'],
    }),
  };
}

export function faultInstruments(registry: MetricsRegistry): Counter<'upstream' | 'kind'> {
  return registry.counter({
    name: 'flotilla_faults_injected_total',
    help: 'Faults injected, by kind (delay, abort)',
    labelNames: ['upstream', 'kind'],
  });
}
