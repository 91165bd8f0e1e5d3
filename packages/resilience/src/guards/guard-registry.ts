/**
 * UpstreamGuards: one per process, holding an UpstreamGuard per upstream
 * name, built from the `resilience` config section. An upstream nobody
 * configured gets the defaults on first use, so every dependency has a
 * deadline, a bulkhead, a breaker and budgeted retries.
 *
 *   const guards = new UpstreamGuards(config.resilience, { namespace, telemetry, logger });
 *   const user = await guards.execute('users', ({ signal }) => fetchUser(id, signal), { idempotent: true });
 *   centre.watch(..., (next) => guards.update(next.resilience));   // hot reload
 *   app.get('/admin/breakers', () => guards.snapshot());
 */
import type { Logger } from 'pino';
import { resolveNamespace } from '@flotilla/config';
import { FlotillaError } from '@flotilla/core';
import { MetricsRegistry } from '@flotilla/telemetry';
import type { BreakerStateChange } from '../breaker.ts';
import type { Clock, RandomSource } from '../clock.ts';
import type { HeaderBag } from '@flotilla/core';
import { faultFromHeaders } from '../fault/fault-header.ts';
import type { FaultSpec } from '../fault/fault-spec.ts';
import { faultInjectionAllowed, PROD_NAMESPACE, type FaultPermission } from '../fault/permission.ts';
import type { ExecuteOptions, Operation } from '../policy.ts';
import type { RetryEvent } from '../retry-policy.ts';
import { parseResilienceSettings, resolveUpstreamPolicy, type ResilienceSettings } from './settings.ts';
import { UpstreamGuard, type UpstreamSnapshot } from './upstream-guard.ts';

export interface UpstreamGuardsOptions {
  /** Config namespace (dev, staging, prod…); decides where fault injection may run. Default: FLOTILLA_ENV, else dev. */
  namespace?: string;
  /** Where the metrics go: a MetricsRegistry, or a ServiceTelemetry (its `.metrics`). */
  metrics?: MetricsRegistry | { metrics: MetricsRegistry } | undefined;
  logger?: Logger | undefined;
  clock?: Clock | undefined;
  random?: RandomSource | undefined;
  onRetry?: ((event: RetryEvent) => void) | undefined;
}

export interface ResilienceSnapshot {
  namespace: string;
  faults: FaultPermission;
  upstreams: Record<string, UpstreamSnapshot>;
}

export class UpstreamGuards {
  readonly namespace: string;
  #settings: ResilienceSettings;
  #permission: FaultPermission;
  readonly #guards = new Map<string, UpstreamGuard>();
  readonly #listeners = new Set<(change: BreakerStateChange) => void>();
  readonly #options: UpstreamGuardsOptions;
  readonly #metrics: MetricsRegistry | undefined;

  /** `settings` may be raw config: it is validated (ConfigError listing every problem). */
  constructor(settings: ResilienceSettings | undefined = {}, options: UpstreamGuardsOptions = {}) {
    this.namespace = resolveNamespace(process.env, options.namespace);
    this.#options = options;
    this.#metrics = options.metrics instanceof MetricsRegistry ? options.metrics : options.metrics?.metrics;
    this.#settings = parseResilienceSettings(settings);
    this.#permission = this.#checkFaults(this.#settings);
  }

  /** Whether faults may be injected here, and why (also in the snapshot). */
  get faultPermission(): FaultPermission {
    return this.#permission;
  }

  /** The guard of `upstream`, made from the settings on first use. */
  get(upstream: string): UpstreamGuard {
    let guard = this.#guards.get(upstream);
    if (guard === undefined) {
      guard = new UpstreamGuard(upstream, resolveUpstreamPolicy(this.#settings, upstream), this.#permission, {
        metrics: this.#metrics,
        logger: this.#options.logger,
        clock: this.#options.clock,
        random: this.#options.random,
        onRetry: this.#options.onRetry,
      });
      guard.breaker.onStateChange((change) => {
        for (const listener of this.#listeners) listener(change);
      });
      this.#guards.set(upstream, guard);
    }
    return guard;
  }

  execute<T>(upstream: string, fn: Operation<T>, options?: ExecuteOptions<T>): Promise<T> {
    return this.get(upstream).execute(fn, options);
  }

  /**
   * Hot reload: validates `settings` first (on a problem it throws and
   * changes nothing), then reconfigures every guard in place. A guard whose
   * upstream was configured before and is no longer is dropped, so it starts
   * afresh from the defaults if it is used again.
   */
  update(settings: ResilienceSettings | undefined): void {
    const next = parseResilienceSettings(settings);
    const permission = this.#checkFaults(next);
    const before = new Set(Object.keys(this.#settings.upstreams ?? {}));
    this.#settings = next;
    this.#permission = permission;
    this.#options.logger?.info(
      { resilience: { upstreams: Object.keys(next.upstreams ?? {}), faults: permission } },
      `resilience settings applied: ${permission.reason}`,
    );
    for (const [name, guard] of this.#guards) {
      if (before.has(name) && next.upstreams?.[name] === undefined) {
        guard.dispose();
        this.#guards.delete(name);
      } else {
        guard.configure(resolveUpstreamPolicy(next, name), permission);
      }
    }
  }

  /** Breakers (state, probability, reason), bulkhead usage and retry budgets of every upstream used or configured. */
  snapshot(): ResilienceSnapshot {
    for (const name of Object.keys(this.#settings.upstreams ?? {})) this.get(name);
    const upstreams: Record<string, UpstreamSnapshot> = {};
    for (const [name, guard] of [...this.#guards].sort(([a], [b]) => a.localeCompare(b))) upstreams[name] = guard.snapshot();
    return { namespace: this.namespace, faults: this.#permission, upstreams };
  }

  /** Every breaker's state changes, with their reason; returns the unsubscribe function. */
  onBreakerStateChange(listener: (change: BreakerStateChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The fault a request asks for by `x-flotilla-fault`, if this namespace honours the header. */
  faultFromHeaders(headers: HeaderBag | Headers): FaultSpec | undefined {
    return faultFromHeaders(headers, this.#permission);
  }

  #checkFaults(settings: ResilienceSettings): FaultPermission {
    const permission = faultInjectionAllowed(this.namespace, settings.faults);
    if (this.namespace === PROD_NAMESPACE && !permission.rules) {
      const asked = [
        settings.faults?.headerEnabled === true ? 'faults.headerEnabled' : undefined,
        hasFaults(settings.defaults?.fault) ? 'defaults.fault' : undefined,
        ...Object.entries(settings.upstreams ?? {}).map(([name, config]) =>
          hasFaults(config.fault) ? `upstreams.${name}.fault` : undefined,
        ),
      ].filter((key): key is string => key !== undefined);
      if (asked.length > 0) {
        throw new FlotillaError(
          'validation',
          `Fault injection is refused in the prod namespace (resilience.${asked.join(', resilience.')}); set resilience.faults.allowInProd: true to allow it`,
          {
            details: { keys: asked.map((key) => `resilience.${key}`) },
          },
        );
      }
    }
    return permission;
  }
}

function hasFaults(fault: { delay?: unknown; abort?: unknown } | undefined): boolean {
  return fault?.delay !== undefined || fault?.abort !== undefined;
}
