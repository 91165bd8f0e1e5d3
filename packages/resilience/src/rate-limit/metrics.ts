/**
 * Rate-limit metrics on the service's registry. `flotilla_rate_limit_decisions_total`
 * is read by deploy/observability (Grafana); keep its name and labels.
 */
import type { Counter, Gauge } from 'prom-client';
import type { MetricsRegistry } from '@flotilla/telemetry';

export type DecisionLabel = 'allowed' | 'limited';

/** Decisions counted since the last scrape, per route. */
interface PendingDecisions {
  allowed: number;
  limited: number;
}

/** The RateLimitMetrics of each registry: its scrape adds every one's pending counts. */
const metricsByRegistry = new WeakMap<MetricsRegistry, Set<RateLimitMetrics>>();

export class RateLimitMetrics {
  readonly #decisions: Counter<'route' | 'decision'>;
  readonly #fallback: Gauge;
  readonly #storeErrors: Counter;
  /**
   * Counted in plain numbers and added to the counter when it is scraped:
   * a prom-client `inc()` per decision (label hashing, a map update) showed
   * in the gateway's profile next to the decision itself.
   */
  readonly #pending = new Map<string, PendingDecisions>();

  constructor(registry: MetricsRegistry) {
    let all = metricsByRegistry.get(registry);
    if (all === undefined) {
      all = new Set();
      metricsByRegistry.set(registry, all);
    }
    all.add(this);
    const family = all;
    this.#decisions = registry.counter({
      name: 'flotilla_rate_limit_decisions_total',
      help: 'Rate-limit decisions by route and outcome (allowed or limited).',
      labelNames: ['route', 'decision'],
      collect() {
        for (const metrics of family) metrics.#flush();
      },
    });
    this.#fallback = registry.gauge({
      name: 'flotilla_rate_limit_store_fallback',
      help: '1 while the shared rate-limit store (Redis) is unreachable and the configured fallback decides, else 0.',
    });
    this.#storeErrors = registry.counter({
      name: 'flotilla_rate_limit_store_errors_total',
      help: 'Rate-limit store calls that failed or timed out.',
    });
    this.#fallback.set(0);
  }

  decision(route: string, decision: DecisionLabel): void {
    let pending = this.#pending.get(route);
    if (pending === undefined) {
      pending = { allowed: 0, limited: 0 };
      this.#pending.set(route, pending);
    }
    pending[decision]++;
  }

  fallingBack(active: boolean): void {
    this.#fallback.set(active ? 1 : 0);
  }

  storeError(): void {
    this.#storeErrors.inc();
  }

  #flush(): void {
    for (const [route, pending] of this.#pending) {
      if (pending.allowed > 0) this.#decisions.inc({ route, decision: 'allowed' }, pending.allowed);
      if (pending.limited > 0) this.#decisions.inc({ route, decision: 'limited' }, pending.limited);
      pending.allowed = 0;
      pending.limited = 0;
    }
  }
}
