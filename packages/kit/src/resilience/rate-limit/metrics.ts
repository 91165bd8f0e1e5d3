/**
 * Rate-limit metrics on the service's registry. `flotilla_rate_limit_decisions_total`
 * is read by deploy/observability (Grafana); keep its name and labels.
 */
import type { Counter, Gauge } from 'prom-client';
import type { MetricsRegistry } from '../../observability/metrics/registry.js';

export type DecisionLabel = 'allowed' | 'limited';

export class RateLimitMetrics {
  readonly #decisions: Counter<'route' | 'decision'>;
  readonly #fallback: Gauge;
  readonly #storeErrors: Counter;
  /** Children per route and decision, so the hot path skips label hashing. */
  readonly #children = new Map<string, { inc(): void }>();

  constructor(registry: MetricsRegistry) {
    this.#decisions = registry.counter({ name: 'flotilla_rate_limit_decisions_total', help: 'Rate-limit decisions by route and outcome (allowed or limited).', labelNames: ['route', 'decision'] });
    this.#fallback = registry.gauge({ name: 'flotilla_rate_limit_store_fallback', help: '1 while the shared rate-limit store (Redis) is unreachable and the configured fallback decides, else 0.' });
    this.#storeErrors = registry.counter({ name: 'flotilla_rate_limit_store_errors_total', help: 'Rate-limit store calls that failed or timed out.' });
    this.#fallback.set(0);
  }

  decision(route: string, decision: DecisionLabel): void {
    const id = `${decision}\u0000${route}`;
    let child = this.#children.get(id);
    if (child === undefined) {
      child = this.#decisions.labels({ route, decision });
      this.#children.set(id, child);
    }
    child.inc();
  }

  fallingBack(active: boolean): void {
    this.#fallback.set(active ? 1 : 0);
  }

  storeError(): void {
    this.#storeErrors.inc();
  }
}
