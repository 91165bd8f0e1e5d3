/**
 * BalancedUpstreamResolver: the gateway's UpstreamResolver. An upstream with
 * `instances` in config uses exactly those; any other declared upstream is
 * found through discovery (its instances' `http` port). Both go through the
 * kit's balancers, so static and discovered instances alike get P2C/EWMA (or
 * round robin), locality (this gateway's zone, then region, then anywhere)
 * and passive ejection fed by the proxy's `done()` reports.
 *
 * It lives as long as the gateway: a route reload only tells it which
 * upstreams exist now (`configure`), so balancer state (latency, ejections)
 * survives reloads; a change of `balancing` rebuilds the balancers.
 */
import {
  createBalancer,
  LiveInstanceSet,
  NoInstanceError,
  ServiceBalancers,
  type Balancer,
  type BalancerOptions,
  type Instance,
  type InstanceStats,
  type PickedInstance,
  type Registry,
} from '@flotilla/discovery';
import type { BalancingOptions, UpstreamSettings } from '../config.ts';
import type { PickedUpstream, UpstreamResolver } from './resolver.ts';

export interface BalancedUpstreamResolverOptions {
  /** Where discovered upstreams come from; without one, only static upstreams resolve. */
  registry?: Registry;
  locality: { region: string; zone: string };
  balancing: BalancingOptions;
}

interface StaticUpstream {
  set: LiveInstanceSet;
  balancer: Balancer;
}

export class BalancedUpstreamResolver implements UpstreamResolver {
  readonly #registry: Registry | undefined;
  readonly #locality: { region: string; zone: string };
  #options: BalancerOptions;
  #discovered: ServiceBalancers | undefined;
  /** Declared upstreams: static ones map to their set, discovered ones to undefined. */
  #upstreams = new Map<string, StaticUpstream | undefined>();
  #listeners = new Set<() => void>();
  #unsubscribes: Array<() => void> = [];
  /** Origin strings per instance object (instances are immutable, replaced on change). */
  readonly #origins = new WeakMap<Instance, string>();

  constructor(options: BalancedUpstreamResolverOptions) {
    this.#registry = options.registry;
    this.#locality = options.locality;
    this.#options = balancerOptions(options.balancing, options.locality);
    this.#discovered = this.#newDiscovered();
  }

  /** The upstreams of the current route table: static instance lists are replaced, discovered services watched. */
  configure(upstreams: Readonly<Record<string, UpstreamSettings>>): void {
    const next = new Map<string, StaticUpstream | undefined>();
    for (const [service, spec] of Object.entries(upstreams)) {
      if (spec.instances === undefined) {
        next.set(service, undefined);
        continue;
      }
      const existing = this.#upstreams.get(service);
      const entry = existing ?? this.#newStatic(service);
      entry.set.replace(spec.instances.map((origin) => this.#staticInstance(service, origin)));
      next.set(service, entry);
    }
    for (const [service, entry] of this.#upstreams) {
      if (entry !== undefined && next.get(service) !== entry) closeStatic(entry);
    }
    this.#upstreams = next;
    this.#watchDiscovered();
    this.#changed();
  }

  /** New balancing settings: fresh balancers (learned latencies and ejections start over). */
  setBalancing(balancing: BalancingOptions): void {
    this.#options = balancerOptions(balancing, this.#locality);
    const upstreams = this.#upstreams;
    this.#closeDiscovered();
    this.#discovered = this.#newDiscovered();
    this.#upstreams = new Map();
    for (const [service, entry] of upstreams) {
      if (entry === undefined) {
        this.#upstreams.set(service, undefined);
        continue;
      }
      const replacement = this.#newStatic(service);
      replacement.set.replace(entry.set.snapshot());
      closeStatic(entry);
      this.#upstreams.set(service, replacement);
    }
    this.#watchDiscovered();
  }

  /** Resolves once every discovered upstream has its first listing, or after `timeoutMs`. */
  async ready(timeoutMs: number): Promise<void> {
    const discovered = this.#discovered;
    if (discovered === undefined) return;
    await Promise.all(this.#discoveredNames().map((service) => discovered.ready(service, timeoutMs)));
  }

  pick(service: string): PickedUpstream | undefined {
    const entry = this.#upstreams.get(service);
    let picked: PickedInstance;
    try {
      if (entry !== undefined) picked = entry.balancer.pick();
      else if (this.#upstreams.has(service) && this.#discovered !== undefined) picked = this.#discovered.pick(service);
      else return undefined;
    } catch (error) {
      if (error instanceof NoInstanceError) return undefined;
      throw error;
    }
    return { origin: this.#originOf(picked.instance), done: picked.done };
  }

  instances(service: string): readonly string[] {
    const entry = this.#upstreams.get(service);
    if (entry !== undefined) return entry.set.snapshot().map((i) => this.#originOf(i));
    if (!this.#upstreams.has(service) || this.#discovered === undefined) return [];
    return this.#discovered
      .entry(service)
      .set.snapshot()
      .filter((i) => i.ports.http !== undefined)
      .map((i) => this.#originOf(i));
  }

  /** Every origin of every declared upstream (the pools worth keeping). */
  allOrigins(): Set<string> {
    return new Set([...this.#upstreams.keys()].flatMap((service) => this.instances(service)));
  }

  /** Balancer statistics per instance of `service` (in-flight, EWMA latency, ejections). */
  stats(service: string): InstanceStats[] {
    const entry = this.#upstreams.get(service);
    if (entry !== undefined) return entry.balancer.stats();
    if (!this.#upstreams.has(service) || this.#discovered === undefined) return [];
    return this.#discovered.entry(service).balancer.stats();
  }

  /** Called after any instance set changes (e.g. to close pools of instances that left). */
  onInstancesChanged(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    for (const entry of this.#upstreams.values()) if (entry !== undefined) closeStatic(entry);
    this.#upstreams.clear();
    this.#closeDiscovered();
    this.#listeners.clear();
  }

  #newDiscovered(): ServiceBalancers | undefined {
    return this.#registry === undefined ? undefined : new ServiceBalancers(this.#registry, { ...this.#options, port: 'http' });
  }

  #closeDiscovered(): void {
    for (const unsubscribe of this.#unsubscribes.splice(0)) unsubscribe();
    this.#discovered?.close();
    this.#discovered = undefined;
  }

  #newStatic(service: string): StaticUpstream {
    const set = new LiveInstanceSet(service);
    return { set, balancer: createBalancer({ ...this.#options, port: 'http' }, set) };
  }

  #discoveredNames(): string[] {
    return [...this.#upstreams].filter(([, entry]) => entry === undefined).map(([service]) => service);
  }

  /** Starts watching discovered upstreams not watched yet (a watch then lives until close or rebalancing). */
  #watchDiscovered(): void {
    const discovered = this.#discovered;
    if (discovered === undefined) return;
    const watched = new Set(discovered.services());
    for (const service of this.#discoveredNames()) {
      if (watched.has(service)) continue;
      this.#unsubscribes.push(discovered.entry(service).set.subscribe(() => this.#changed()));
    }
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }

  #staticInstance(service: string, origin: string): Instance {
    const url = new URL(origin);
    const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
    const instance: Instance = {
      id: origin,
      service,
      address: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      ports: { http: port },
      version: '',
      // Configured instances count as local: locality only orders discovered ones.
      region: this.#locality.region,
      zone: this.#locality.zone,
      weight: 100,
      health: 'serving',
      metadata: { origin },
    };
    this.#origins.set(instance, origin);
    return instance;
  }

  #originOf(instance: Instance): string {
    let origin = this.#origins.get(instance);
    if (origin === undefined) {
      const host = instance.address.includes(':') ? `[${instance.address}]` : instance.address;
      origin = `http://${host}:${instance.ports.http}`; // static instances are cached at creation with their own scheme
      this.#origins.set(instance, origin);
    }
    return origin;
  }
}

function balancerOptions(balancing: BalancingOptions, locality: { region: string; zone: string }): BalancerOptions {
  const { enabled, ...ejection } = balancing.ejection;
  return { strategy: balancing.strategy, locality, ejection: enabled ? ejection : false };
}

function closeStatic(entry: StaticUpstream): void {
  entry.balancer.close();
  entry.set.close();
}
