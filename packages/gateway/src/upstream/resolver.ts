/**
 * Which instance serves a request for an upstream service. The gateway only
 * sees this interface: today a static map from config with round robin, later
 * a discovery-backed resolver (registry watch, P2C, outlier ejection).
 */

export interface UpstreamResolver {
  /** An origin (`http://host:port`) for the next request to `service`, or undefined when it has no instance. */
  pick(service: string): string | undefined;
  /** Every origin currently known for `service` (for the merged OpenAPI, metrics). */
  instances(service: string): readonly string[];
}

/** Round robin over the instances listed in config. */
export class StaticUpstreamResolver implements UpstreamResolver {
  readonly #instances: ReadonlyMap<string, readonly string[]>;
  readonly #next = new Map<string, number>();

  constructor(upstreams: Readonly<Record<string, readonly string[]>>) {
    this.#instances = new Map(Object.entries(upstreams));
  }

  pick(service: string): string | undefined {
    const instances = this.#instances.get(service);
    if (instances === undefined || instances.length === 0) return undefined;
    if (instances.length === 1) return instances[0];
    const index = this.#next.get(service) ?? 0;
    this.#next.set(service, (index + 1) % instances.length);
    return instances[index];
  }

  instances(service: string): readonly string[] {
    return this.#instances.get(service) ?? [];
  }
}

/** Builds the resolver for a route table's `upstreams`; a discovery backend supplies its own. */
export type ResolverFactory = (upstreams: Readonly<Record<string, readonly string[]>>) => UpstreamResolver;

export const staticResolver: ResolverFactory = (upstreams) => new StaticUpstreamResolver(upstreams);
