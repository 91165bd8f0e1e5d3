/**
 * ServiceBalancers: one watched InstanceSet and one Balancer per service
 * name, made on first use and shared by every caller of that service. The
 * gRPC resolver bridge and the gateway's HTTP pools both stand on it.
 */
import { createBalancer } from './balancer/balancer.ts';
import type { Balancer, BalancerOptions, PickedInstance } from './balancer/types.ts';
import type { InstancePorts, InstanceSet, Registry } from './types.ts';

export interface ServiceBalancersOptions extends Omit<BalancerOptions, 'port'> {
  /** Protocol the callers speak: only instances with that port are picked. */
  port: keyof InstancePorts;
}

export class ServiceBalancers {
  readonly #registry: Registry;
  readonly #options: ServiceBalancersOptions;
  readonly #entries = new Map<string, { set: InstanceSet; balancer: Balancer }>();

  constructor(registry: Registry, options: ServiceBalancersOptions) {
    this.#registry = registry;
    this.#options = options;
  }

  /** The set and balancer of `service` (watching starts on first use). */
  entry(service: string): { set: InstanceSet; balancer: Balancer } {
    let entry = this.#entries.get(service);
    if (entry === undefined) {
      const set = this.#registry.watch(service);
      entry = { set, balancer: createBalancer(this.#options, set) };
      this.#entries.set(service, entry);
    }
    return entry;
  }

  /** Throws NoInstanceError when no instance is available. */
  pick(service: string, key?: string): PickedInstance {
    return this.entry(service).balancer.pick(key);
  }

  /** Resolves when `service`'s first listing has loaded, or after `timeoutMs` (never rejects). */
  ready(service: string, timeoutMs: number): Promise<void> {
    const { set } = this.entry(service);
    if (set.status !== 'connecting') return Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      timer.unref();
    });
    return Promise.race([set.ready, gaveUp]).finally(() => clearTimeout(timer));
  }

  services(): string[] {
    return [...this.#entries.keys()];
  }

  close(): void {
    for (const { set, balancer } of this.#entries.values()) {
      balancer.close();
      set.close();
    }
    this.#entries.clear();
  }
}
